/**
 * The irlens custom LSP methods, notifications and commands, as the client sees them.
 *
 * The server documents them in docs/lsp-extensions.md. Every payload field is optional here
 * on purpose: features land on the server at different times, and the panel must render what
 * it gets instead of failing on what it does not.
 */

export const STATUS_NOTIFICATION = 'irlens/status';
export const PREVIEW_UPDATED_NOTIFICATION = 'irlens/previewUpdated';
export const SUGGEST_PROGRESS_NOTIFICATION = 'irlens/suggestProgress';
export const PIPELINE_STEPS_REQUEST = 'irlens/pipelineSteps';

/** Server-side commands (workspace/executeCommand). */
export const SERVER_COMMANDS = {
  liftToIR: 'irlens.liftToIR',
  suggestPasses: 'irlens.suggestPasses',
  doctor: 'irlens.doctor',
} as const;

/** Commands the extension contributes (package.json `contributes.commands`). */
export const EXTENSION_COMMANDS = {
  liftToIR: 'irlens.liftToIR',
  suggestPasses: 'irlens.suggestPasses',
  showPreview: 'irlens.showPreview',
  restartServer: 'irlens.restartServer',
  doctor: 'irlens.doctor',
} as const;

export interface StatusPayload {
  version?: string;
  llvm?: { version?: string | null; source?: string; tools?: Record<string, string | null> };
  model?: { state?: string; name?: string | null; detail?: string | null };
}

export interface Size {
  instructions?: number | null;
  bytes?: number | null;
}

export interface Prediction {
  /** "exact", "differs", "pending", "failed" or "unverified". */
  verdict?: string;
  text?: string;
  ir?: string;
  differingLines?: number | null;
  firstDifference?: string | null;
  predictedSize?: Size | null;
  sizeError?: number | null;
  model?: string | null;
  message?: string | null;
}

/** One hover preview: the real `opt` result for a pass on a function, maybe with a prediction. */
export interface PreviewPayload {
  uri?: string;
  pass?: string;
  pipeline?: string;
  function?: string;
  llvmVersion?: string;
  changed?: boolean;
  diff?: string;
  before?: string;
  after?: string;
  sizeBefore?: Size | null;
  sizeAfter?: Size | null;
  prediction?: Prediction | null;
  markdown?: string;
  message?: string;
}

export interface PipelineStep {
  index?: number;
  pass?: string;
  name?: string;
  changed?: boolean;
  ir?: string;
  after?: string;
  diff?: string;
}

export interface PipelineStepsPayload {
  uri?: string;
  function?: string | null;
  pipeline?: string;
  input?: string;
  before?: string;
  steps?: PipelineStep[];
  message?: string;
  error?: string;
}

export interface Suggestion {
  pipeline?: string;
  passes?: string;
  bytes?: number | null;
  size?: number | null;
  vsOz?: number | null;
  verified?: boolean;
  source?: string;
  label?: string;
}

export interface SuggestPayload {
  uri?: string;
  function?: string | null;
  ozBytes?: number | null;
  oz?: number | null;
  best?: Suggestion | null;
  candidates?: Suggestion[];
  suggestions?: Suggestion[];
  compilations?: number;
  done?: boolean;
  message?: string;
}

export interface LiftFunctionReport {
  name?: string;
  function?: string;
  status?: string;
  verdict?: string;
  score?: number | null;
  similarity?: number | null;
  optLevel?: string | null;
  reason?: string | null;
  message?: string | null;
  firstDifference?: string | null;
}

export interface LiftPayload {
  uri?: string;
  source?: string;
  output?: string;
  outputUri?: string;
  triple?: string;
  model?: string | null;
  functions?: LiftFunctionReport[];
  message?: string;
  error?: string;
}
