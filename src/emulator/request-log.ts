import type { Clock } from '../clock.js';

/**
 * What a request got: the status answered, `dropped` (the socket was destroyed or the client had gone when
 * the answer was ready), `hung` (held by a partition, never answered) or `pending` (still in flight).
 */
export type RequestOutcome = number | 'dropped' | 'hung' | 'pending';

/** One API request as the emulator saw it (emulator extension, for invariant checks from outside). */
export type RequestLogEntry = {
  /** 1, 2, ... in arrival order; never reused, not even after a clear. */
  readonly seq: number;
  /** Arrival time, ms on the emulator clock. */
  readonly at: number;
  readonly method: string;
  /** The path with `/v1/projects/<pid>` normalised to `/v1` and no trailing slash, ids kept. */
  readonly path: string;
  /** `?action=<name>`, or null. */
  readonly action: string | null;
  /** The `User-Agent` header as it arrived (replicas send `rancher-reconciler replica/<id>`), or null. */
  readonly userAgent: string | null;
  /** The `:id` of a /containers or /instances resource route, or the id a POST /containers created. */
  containerId: string | null;
  status: RequestOutcome;
  /** Whether the API processed the request (its effects, if any, are in the store). */
  committed: boolean;
  /** The fault that shaped it: a rule's effect name, `latency`, `rate-limit`, `partition`, or null. */
  fault: string | null;
  /** The status the API itself produced when processed, even if the client never saw it; else null. */
  apiStatus: number | null;
  /** For POST /containers, once its body is read: the requested name and labels (null when absent or not JSON). */
  body?: Readonly<{ name: string | null; labels: Readonly<Record<string, unknown>> | null }>;
};

/** The facts known when a request arrives. */
export type ArrivingRequest = Readonly<{ method: string; path: string; action: string | undefined; userAgent?: string | undefined }>;

/**
 * The bounded, in-order log of every API request (admin routes excluded). Entries are created on arrival
 * and updated in place by the server until they settle. Keeps the last `limit` entries (default 100,000);
 * in memory only (an emulator restart starts a new log at seq 1).
 */
export class RequestLog {
  readonly #clock: Clock;
  readonly #limit: number;
  #entries: RequestLogEntry[] = [];
  #nextSeq = 1;

  constructor(deps: { clock: Clock; limit?: number }) {
    this.#clock = deps.clock;
    this.#limit = deps.limit ?? 100_000;
  }

  /** Records an arriving request (status `pending`) and returns the live entry for the server to update. */
  begin(request: ArrivingRequest): RequestLogEntry {
    const segments = request.path.split('/');
    const isContainerRoute = (segments[2] === 'containers' || segments[2] === 'instances') && (segments[3] ?? '') !== '';
    const entry: RequestLogEntry = {
      seq: this.#nextSeq++, at: this.#clock.now(), method: request.method, path: request.path, action: request.action ?? null,
      userAgent: request.userAgent ?? null, containerId: isContainerRoute ? segments[3]! : null, status: 'pending', committed: false, fault: null, apiStatus: null,
    };
    this.#entries.push(entry);
    // trim in batches so a full log costs O(1) per request, not a shift of 100k entries
    if (this.#entries.length >= this.#limit + Math.ceil(this.#limit / 10)) this.#entries = this.#entries.slice(-this.#limit);
    return entry;
  }

  /** Copies of the kept entries with `seq > afterSeq` (default all), in arrival order. */
  entries(afterSeq = 0): RequestLogEntry[] {
    const kept = this.#entries.length > this.#limit ? this.#entries.slice(-this.#limit) : this.#entries;
    const from = afterSeq <= 0 ? 0 : lowerBoundSeq(kept, afterSeq + 1);
    return kept.slice(from).map((entry) => structuredClone(entry));
  }

  /** Forgets every entry (sequence numbers keep counting). */
  clear(): void {
    this.#entries = [];
  }
}

function lowerBoundSeq(entries: readonly RequestLogEntry[], seq: number): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (entries[mid]!.seq < seq) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The name/labels summary of a POST /containers body. */
export function summariseCreateBody(bodyText: string): NonNullable<RequestLogEntry['body']> {
  let parsed: unknown;
  try {
    parsed = bodyText.trim() === '' ? {} : JSON.parse(bodyText);
  } catch {
    // the API answers InvalidBodyContent; the log only says nothing could be read
    return { name: null, labels: null };
  }
  const body = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed as Record<string, unknown> : {};
  const labels = body['labels'];
  return {
    name: typeof body['name'] === 'string' ? body['name'] : null,
    labels: labels !== null && typeof labels === 'object' && !Array.isArray(labels) ? labels as Record<string, unknown> : null,
  };
}
