/**
 * The side panel's state and the one reducer that changes it (pure, unit-tested).
 *
 * The extension owns the state: it applies every server event and every click in the panel
 * through {@link reduce} and posts the whole state to the webview, which only renders it.
 * The webview also keeps the last state with `setState`, so a hidden panel comes back at once.
 */

import type {
  LiftPayload,
  PipelineStepsPayload,
  PreviewPayload,
  StatusPayload,
  SuggestPayload,
} from '../protocol';
import type { CfgView } from './cfgData';

export interface EditorContext {
  uri: string;
  fileName?: string;
  languageId?: string;
  function?: string | null;
  /** The pipeline hovered last in this document, when known. */
  pipeline?: string | null;
  /** The pass hovered last, when the hover was on one pass of a pipeline. */
  pass?: string | null;
  /** Where the last hover was: the server finds the pipeline there. */
  position?: { line: number; character: number } | null;
}

export interface PanelState {
  status?: StatusPayload;
  context?: EditorContext;
  preview?: PreviewPayload;
  steps?: PipelineStepsPayload;
  stepsLoading?: boolean;
  selectedStep?: number;
  suggest?: SuggestPayload;
  suggestRunning?: boolean;
  lift?: LiftPayload;
  liftRunning?: boolean;
  /** The CFG of the function at the cursor, once asked for (irlens.showCfg); it then follows the cursor. */
  cfg?: CfgView;
  error?: string;
}

/** Everything that changes the panel: server events, editor events, and clicks in the panel. */
export type PanelAction =
  | { type: 'status'; status: StatusPayload }
  | { type: 'context'; context: EditorContext }
  | { type: 'preview'; preview: PreviewPayload }
  | { type: 'stepsLoading' }
  | { type: 'steps'; steps: PipelineStepsPayload }
  | { type: 'selectStep'; index: number }
  | { type: 'suggestStarted' }
  | { type: 'suggest'; suggest: SuggestPayload; done?: boolean }
  | { type: 'liftStarted' }
  | { type: 'lift'; lift: LiftPayload }
  | { type: 'cfgLoading' }
  | { type: 'cfg'; cfg: CfgView }
  | { type: 'closeCfg' }
  | { type: 'error'; message: string }
  | { type: 'dismissError' };

/** Messages the webview posts to the extension. */
export type PanelMessage =
  | { type: 'ready' }
  | { type: 'selectStep'; index: number }
  | { type: 'run'; command: 'suggestPasses' | 'liftToIR' | 'refresh' | 'doctor' }
  | { type: 'open'; uri: string }
  | { type: 'reveal'; uri: string; line: number }
  | { type: 'closeCfg' }
  | { type: 'dismissError' };

/** The message the extension posts to the webview. */
export interface StateMessage {
  type: 'state';
  state: PanelState;
}

/** "sroa" from "SROAPass on foo", "sroa<modify-cfg>" or "function(sroa)", lowercased, for matching. */
export function normalisePassName(name: string | undefined | null): string {
  if (!name) {
    return '';
  }
  let bare = name.trim();
  bare = bare.replace(/\s+on\s+.*$/i, '');
  bare = bare.replace(/<.*$/, '');
  bare = bare.replace(/^.*\(/, '').replace(/\)+$/, '');
  bare = bare.replace(/pass$/i, '');
  return bare.toLowerCase().replace(/[-_\s]/g, '');
}

/** The step to show first: the hovered pass if it ran, else the first step that changed the IR. */
export function defaultStep(steps: PipelineStepsPayload, pass?: string | null): number | undefined {
  const list = steps.steps ?? [];
  if (list.length === 0) {
    return undefined;
  }
  const wanted = normalisePassName(pass);
  if (wanted) {
    const hovered = list.findIndex((step) => normalisePassName(step.pass ?? step.name) === wanted);
    if (hovered >= 0) {
      return hovered;
    }
  }
  const changed = list.findIndex((step) => step.changed);
  return changed >= 0 ? changed : 0;
}

function samePreview(a: PreviewPayload | undefined, b: PreviewPayload): boolean {
  return !!a && a.uri === b.uri && a.pass === b.pass && a.function === b.function && a.pipeline === b.pipeline;
}

export function reduce(state: PanelState, action: PanelAction): PanelState {
  switch (action.type) {
    case 'status':
      return { ...state, status: action.status };
    case 'context': {
      const moved = state.context?.uri !== action.context.uri;
      // Results about another document would be misleading next to this one.
      return moved
        ? { ...state, context: action.context, preview: undefined, steps: undefined, selectedStep: undefined, cfg: state.cfg ? {} : undefined }
        : { ...state, context: { ...state.context, ...action.context } };
    }
    case 'preview': {
      // A late prediction (irlens/previewUpdated) completes the preview it belongs to.
      const preview = samePreview(state.preview, action.preview)
        ? { ...state.preview, ...dropUndefined(action.preview) }
        : action.preview;
      return { ...state, preview };
    }
    case 'stepsLoading':
      return { ...state, stepsLoading: true };
    case 'steps':
      return {
        ...state,
        steps: action.steps,
        stepsLoading: false,
        selectedStep: defaultStep(action.steps, state.context?.pass ?? state.preview?.pass),
      };
    case 'selectStep': {
      const count = state.steps?.steps?.length ?? 0;
      if (action.index < 0 || action.index >= count) {
        return state;
      }
      return { ...state, selectedStep: action.index };
    }
    case 'suggestStarted':
      return { ...state, suggest: undefined, suggestRunning: true };
    case 'suggest':
      return {
        ...state,
        suggest: { ...state.suggest, ...dropUndefined(action.suggest) },
        suggestRunning: !(action.done ?? action.suggest.done ?? false),
      };
    case 'liftStarted':
      return { ...state, lift: undefined, liftRunning: true };
    case 'lift':
      return { ...state, lift: action.lift, liftRunning: false };
    case 'cfgLoading':
      return { ...state, cfg: { ...state.cfg, loading: true } };
    case 'cfg':
      return { ...state, cfg: { ...action.cfg, loading: false } };
    case 'closeCfg':
      return { ...state, cfg: undefined };
    case 'error':
      return { ...state, error: action.message, stepsLoading: false, cfg: state.cfg ? { ...state.cfg, loading: false } : undefined };
    case 'dismissError':
      return { ...state, error: undefined };
  }
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A panel message from the webview, checked: anything malformed is ignored. */
export function parsePanelMessage(data: unknown): PanelMessage | undefined {
  if (typeof data !== 'object' || data === null) {
    return undefined;
  }
  const message = data as Record<string, unknown>;
  switch (message.type) {
    case 'ready':
    case 'closeCfg':
    case 'dismissError':
      return { type: message.type };
    case 'selectStep':
      return Number.isInteger(message.index) ? { type: 'selectStep', index: message.index as number } : undefined;
    case 'run':
      return ['suggestPasses', 'liftToIR', 'refresh', 'doctor'].includes(message.command as string)
        ? { type: 'run', command: message.command as 'suggestPasses' | 'liftToIR' | 'refresh' | 'doctor' }
        : undefined;
    case 'open':
      return typeof message.uri === 'string' ? { type: 'open', uri: message.uri } : undefined;
    case 'reveal': {
      const line = Number(message.line);
      return typeof message.uri === 'string' && message.uri && Number.isInteger(line) && line >= 0 ? { type: 'reveal', uri: message.uri, line } : undefined;
    }
    default:
      return undefined;
  }
}
