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
export const CFG_REQUEST = 'irlens/cfg';

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
  showCfg: 'irlens.showCfg',
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

/** The model's emulation against opt, as the panel shows it (see adapt.ts for the wire form). */
export interface Prediction {
  /** "exact", "differs", "pending", "failed", "unusable", "skipped" or "unverified". */
  verdict?: string;
  differingLines?: number | null;
  firstDifference?: string | null;
  predictedSize?: Size | null;
  sizeError?: number | null;
  model?: string | null;
  message?: string | null;
}

/** One function a pass changed, with its unified diff. */
export interface FunctionChange {
  name?: string;
  status?: string;
  diff?: string;
  added?: number;
  removed?: number;
  instructionsBefore?: number | null;
  instructionsAfter?: number | null;
}

/** One hover preview, as the panel shows it: the real `opt` result, maybe with a prediction. */
export interface PreviewPayload {
  uri?: string;
  pass?: string;
  pipeline?: string;
  function?: string | null;
  llvmVersion?: string;
  changed?: boolean;
  /** A unified diff for the function (when the server sends one diff). */
  diff?: string;
  /** Or the whole texts, diffed in the panel. */
  before?: string;
  after?: string;
  /** Or one diff per changed function (the server's preview JSON). */
  functions?: FunctionChange[];
  sizeBefore?: Size | null;
  sizeAfter?: Size | null;
  prediction?: Prediction | null;
  markdown?: string;
  message?: string;
  notes?: string[];
}

/** One step of `irlens/pipelineSteps`; `ir` is null when the pass changed nothing. */
export interface PipelineStep {
  index?: number;
  pass?: string;
  name?: string;
  on?: string;
  changed?: boolean;
  ir?: string | null;
  after?: string | null;
  diff?: string;
  /** opt printed no dump for this change: its IR is what `opt -S` prints after the pipeline. */
  unreported?: boolean;
}

export interface PipelineStepsPayload {
  uri?: string;
  function?: string | null;
  pipeline?: string;
  llvmVersion?: string;
  /** The IR before the first pass (`input` and `before` are accepted too). */
  initial?: string | null;
  input?: string;
  before?: string;
  final?: string | null;
  steps?: PipelineStep[];
  truncated?: boolean;
  message?: string;
  error?: string | null;
}

/** One pass list the panel lists, with its measured size. */
export interface Suggestion {
  pipeline?: string;
  bytes?: number | null;
  /** Signed change against -Oz, in percent (negative: smaller). */
  vsOz?: number | null;
  verified?: boolean;
  /** Where it came from: "offer", "model sample 0", ... */
  source?: string;
  /** For model candidates: "valid", "repaired", "rejected", ... */
  status?: string;
  message?: string | null;
}

/** The panel's view of a suggestion: the command's result and irlens/suggestProgress merged (see adapt.ts). */
export interface SuggestPayload {
  uri?: string;
  function?: string | null;
  headline?: string;
  outcome?: string;
  phase?: string;
  percentage?: number;
  ozBytes?: number | null;
  best?: Suggestion | null;
  candidates?: Suggestion[];
  compilations?: number;
  differential?: string | null;
  modelError?: string | null;
  notes?: string[];
  done?: boolean;
  message?: string;
  error?: string | null;
}

export interface LiftFunctionReport {
  name?: string;
  /** "exact", "similar" or "failed". */
  status?: string;
  detail?: string | null;
  score?: number | null;
  optLevel?: string | null;
  line?: number | null;
}

/** The result of `irlens.liftToIR`: `uri` is the lifted document when `ok`. */
export interface LiftPayload {
  ok?: boolean;
  error?: string | null;
  message?: string;
  source?: string;
  uri?: string;
  triple?: string | null;
  tripleSource?: string | null;
  model?: string | null;
  llvmVersion?: string | null;
  functions?: LiftFunctionReport[];
  joinProblem?: string | null;
  notes?: string[];
  cancelled?: boolean;
}

/** One block of `irlens/cfg`'s answer; `line` and `end_line` are 0-based document lines. */
export interface CfgBlockPayload {
  name?: string;
  line?: number;
  end_line?: number;
  instructions?: string[];
  loop_depth?: number;
  loop_header?: boolean;
  reachable?: boolean;
  idom?: string | null;
}

/** An edge of `irlens/cfg`: indices into `blocks`; `back` closes a loop. */
export interface CfgEdgePayload {
  source?: number;
  target?: number;
  label?: string;
  back?: boolean;
}

/** The answer to `irlens/cfg` (docs/lsp-extensions.md), or `{error}`. */
export interface CfgPayload {
  uri?: string;
  function?: string;
  blocks?: CfgBlockPayload[];
  edges?: CfgEdgePayload[];
  loops?: { header?: number; depth?: number; blocks?: number[] }[];
  dot?: string;
  text?: string;
  error?: string;
  functions?: string[];
}
