/**
 * The server's preview JSON (lsp_server/features/preview.py `preview_json`, and the
 * `irlens/previewUpdated` notification around it) as the panel's PreviewPayload (pure).
 * Unknown or missing fields are left out; the panel renders what there is.
 */

import type { FunctionChange, Prediction, PreviewPayload, Size, Suggestion, SuggestPayload } from '../protocol';

type Raw = Record<string, unknown>;

const isObject = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

function pair(raw: Raw, key: string): { before?: number; after?: number } {
  const value = raw[key];
  return isObject(value) ? { before: num(value.before), after: num(value.after) } : {};
}

const VERDICT: Record<string, string> = { match: 'exact', error: 'failed' };

function prediction(raw: unknown): Prediction | null | undefined {
  if (raw === null) {
    return null;
  }
  if (!isObject(raw)) {
    return undefined;
  }
  if ('verdict' in raw) {
    return raw as Prediction;
  }
  const status = str(raw.status);
  const predicted = num(raw.predictedBinarySize);
  const real = num(raw.optBinarySize);
  const first = raw.firstDifference;
  let firstDifference: string | undefined;
  if (isObject(first)) {
    const line = num(first.line);
    firstDifference = [
      line !== undefined ? `line ${line}` : '',
      `opt:   ${str(first.opt) ?? '(no line)'}`,
      `model: ${str(first.model) ?? '(no line)'}`,
    ]
      .filter(Boolean)
      .join('\n');
  }
  return {
    verdict: status ? (VERDICT[status] ?? status) : undefined,
    differingLines: num(raw.differingLines),
    firstDifference,
    predictedSize: { instructions: num(raw.predictedInstructions), bytes: predicted },
    sizeError: predicted !== undefined && real !== undefined ? predicted - real : undefined,
    model: str(raw.model),
    message: str(raw.message) || undefined,
  };
}

function functions(raw: unknown): FunctionChange[] | undefined {
  if (!Array.isArray(raw)) {
    return undefined;
  }
  return raw.filter(isObject).map((change) => ({
    name: str(change.name),
    status: str(change.status),
    diff: str(change.diff),
    added: num(change.added),
    removed: num(change.removed),
    instructionsBefore: num(change.instructionsBefore),
    instructionsAfter: num(change.instructionsAfter),
  }));
}

/** A PreviewPayload from the server's preview JSON, or from a previewUpdated notification. */
export function previewFromServer(message: unknown): PreviewPayload {
  if (!isObject(message)) {
    return {};
  }
  // previewUpdated: {uri, function, pass, markdown, data: preview_json}; a hover's data alone is preview_json.
  const data = isObject(message.data) ? message.data : message;
  const instructions = pair(data, 'instructions');
  const bytes = pair(data, 'binarySize');
  const sizes = (which: 'before' | 'after'): Size | undefined =>
    instructions[which] !== undefined || bytes[which] !== undefined
      ? { instructions: instructions[which], bytes: bytes[which] }
      : undefined;
  const notes = Array.isArray(data.notes) ? data.notes.filter((n): n is string => typeof n === 'string') : undefined;
  const preview: PreviewPayload = {
    uri: str(message.uri) ?? str(data.uri),
    pass: str(data.pass) ?? str(message.pass),
    pipeline: str(data.pipeline) ?? str(message.pipeline),
    function: str(data.function) ?? str(message.function),
    llvmVersion: str(data.llvmVersion),
    changed: typeof data.changed === 'boolean' ? data.changed : undefined,
    diff: str(data.diff),
    before: str(data.before),
    after: str(data.after),
    functions: functions(data.functions),
    sizeBefore: sizes('before') ?? (data.sizeBefore as Size | undefined),
    sizeAfter: sizes('after') ?? (data.sizeAfter as Size | undefined),
    prediction: prediction(data.prediction),
    markdown: str(message.markdown) ?? str(data.markdown),
    message: str(data.error) ?? str(data.message),
    notes: notes?.length ? notes : undefined,
  };
  return Object.fromEntries(Object.entries(preview).filter(([, v]) => v !== undefined)) as PreviewPayload;
}

function percentVsOz(bytes: number | undefined, oz: number | undefined): number | undefined {
  return bytes !== undefined && oz !== undefined && oz > 0 ? (100 * (bytes - oz)) / oz : undefined;
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The panel's SuggestPayload from `irlens/suggestProgress` (phase, bestSize, ...) or from the
 * result of `irlens.suggestPasses` (headline, offer, model.candidates, search, ...).
 */
export function suggestFromServer(message: unknown): SuggestPayload {
  if (!isObject(message)) {
    return {};
  }
  const oz = num(message.ozSize) ?? num(message.ozBytes);
  if ('phase' in message) {
    const bytes = num(message.bestSize);
    const pipeline = str(message.bestPipeline);
    return compact({
      uri: str(message.uri),
      function: str(message.function),
      phase: str(message.phase),
      message: str(message.message),
      percentage: num(message.percentage),
      ozBytes: oz,
      best: pipeline ? compact({ pipeline, bytes, vsOz: percentVsOz(bytes, oz), source: 'best so far' }) : undefined,
      compilations: num(message.compilations),
      done: message.phase === 'done' ? true : undefined,
    });
  }
  const offer = isObject(message.offer) ? message.offer : undefined;
  const saving = offer ? num(offer.savingPercent) : undefined;
  const best: Suggestion | undefined = offer
    ? compact({
        pipeline: str(offer.pipeline),
        bytes: num(offer.size),
        vsOz: saving !== undefined ? -saving : percentVsOz(num(offer.size), oz),
        verified: true,
        source: offer.improved === true ? 'offer' : '-Oz is best',
      })
    : undefined;
  const model = isObject(message.model) ? message.model : undefined;
  const candidates: Suggestion[] = (Array.isArray(model?.candidates) ? model.candidates : [])
    .filter(isObject)
    .map((candidate) =>
      compact({
        pipeline: str(candidate.pipeline) ?? str(candidate.proposed),
        bytes: num(candidate.size),
        vsOz: percentVsOz(num(candidate.size), oz),
        verified: num(candidate.size) !== undefined ? true : undefined,
        source: num(candidate.sample) !== undefined ? `model sample ${num(candidate.sample)}` : 'model',
        status: str(candidate.status),
        message: str(candidate.message),
      }),
    );
  const search = isObject(message.search) ? message.search : undefined;
  const notes = Array.isArray(message.notes) ? message.notes.filter((n): n is string => typeof n === 'string') : undefined;
  const cancelled = message.cancelled === true;
  return compact({
    uri: str(message.uri),
    function: str(message.function),
    headline: str(message.headline),
    outcome: str(message.outcome),
    ozBytes: oz,
    best,
    candidates: candidates.length ? candidates : undefined,
    compilations: num(search?.evaluated) ?? num(message.verifiedCandidates),
    differential: offer ? str(offer.differential) : undefined,
    modelError: model ? str(model.error) : undefined,
    notes: notes?.length ? notes : undefined,
    error: str(message.error) ?? (cancelled ? 'cancelled' : undefined),
    done: true,
    phase: 'done',
  });
}
