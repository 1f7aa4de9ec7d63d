/**
 * RancherInstanceApi: the InstanceApi port on top of the HTTP client. Mutations are never blindly retried:
 * after a failure that may or may not have reached Rancher, the live state is read first (the name for a
 * create, the resource for an action or update) and the call is repeated only when it visibly did not
 * take effect. At most `maxAttempts` calls of one mutation are ever sent.
 */
import { sleep, systemClock, type Clock } from '../clock.js';
import { randomUUID } from 'node:crypto';
import type { CreateOptions, InstanceApi, StopOptions } from '../domain/ports.js';
import { createdForKey } from '../domain/ownership.js';
import type { InstanceSpec, LiveInstance } from '../domain/instance.js';
import { ApiError, ReconcilerError, coerceError, fencedByLease, neverReachedServer, redactUrl } from '../errors.js';
import type { Logger } from '../logger.js';
import { toApiError } from './api-errors.js';
import type { HttpClient, HttpRequest } from './http.js';
import { defaultRetryDelayOptions, retryDelayMs, type RetryDelayOptions } from './retry-delay.js';
import { RetryLogLevel } from './retry-log-level.js';
import { isWireContainer, parseCollection, toCreateBody, toLiveInstance, toStopBody, toUpdateBody } from './wire.js';
import { actionTookEffect, restartOutcome, type ContainerAction } from './action-effects.js';

/** What a mutation's read-back shows: it landed, it did not (send again), or it cannot be told. */
type Effect = 'landed' | 'not-landed' | 'unknown';

/** Dependencies of RancherInstanceApi. */
export type RancherInstanceApiDeps = Readonly<{
  http: HttpClient;
  log?: Logger;
  clock?: Clock;
  /** List page size, 1..3000; default 1000. */
  pageSize?: number;
  /** Calls of one mutation at most (the first plus verified re-sends); default 4. */
  maxAttempts?: number;
  /** 429 answers tolerated per mutation (each waits Retry-After); default 10. */
  maxThrottledAttempts?: number;
  /** Delays between mutation attempts; 409 Conflict always waits `conflictDelayMs`. */
  retryDelay?: RetryDelayOptions;
  /** gdapi-python waits 0.1 s between 409 retries (docs/rancher-v1.md#how-clients-handle-errors); default 100. */
  conflictDelayMs?: number;
  random?: () => number;
  /** A fresh id per create attempt (the `attemptLabel` value); default crypto.randomUUID. */
  newId?: () => string;
}>;

/**
 * The Rancher implementation of {@link InstanceApi} for `/v1/containers`. Every call goes through the
 * HttpClient (and so the shared rate limiter); errors are ApiError. `console(id)` is offered for
 * completeness: it only works when the live `actions` map lists `console` (never for containers).
 */
export class RancherInstanceApi implements InstanceApi {
  readonly #http: HttpClient;
  readonly #log: Logger | undefined;
  readonly #clock: Clock;
  readonly #pageSize: number;
  readonly #maxAttempts: number;
  readonly #maxThrottledAttempts: number;
  readonly #retryDelay: RetryDelayOptions;
  readonly #conflictDelayMs: number;
  readonly #random: () => number;
  readonly #newId: () => string;
  /** One warning per kind of failure while it repeats; a mutation that goes through resets it. */
  readonly #retryLevel = new RetryLogLevel();

  constructor(deps: RancherInstanceApiDeps) {
    this.#http = deps.http;
    this.#log = deps.log;
    this.#clock = deps.clock ?? systemClock;
    this.#pageSize = Math.min(3000, Math.max(1, deps.pageSize ?? 1000));
    this.#maxAttempts = Math.max(1, deps.maxAttempts ?? 4);
    this.#maxThrottledAttempts = Math.max(1, deps.maxThrottledAttempts ?? 10);
    this.#retryDelay = deps.retryDelay ?? defaultRetryDelayOptions;
    this.#conflictDelayMs = deps.conflictDelayMs ?? 100;
    this.#random = deps.random ?? Math.random;
    this.#newId = deps.newId ?? randomUUID;
  }

  async list(signal?: AbortSignal): Promise<LiveInstance[]> {
    return this.#listAll({ limit: this.#pageSize }, signal);
  }

  async get(id: string, signal?: AbortSignal): Promise<LiveInstance | undefined> {
    try {
      const response = await this.#http.request(this.#req('GET', `containers/${encodeURIComponent(id)}`, signal));
      return this.#toLive(response.body, 'GET', `containers/${id}`);
    } catch (e: unknown) {
      if (e instanceof ApiError && e.status === 404) return undefined;
      throw e;
    }
  }

  async findByName(name: string, signal?: AbortSignal): Promise<LiveInstance[]> {
    // removed ones are hidden from lists from Rancher 1.2 on; filtered here as well for 1.0/1.1
    const found = await this.#listAll({ name, limit: this.#pageSize }, signal);
    return found.filter((instance) => !instance.removed && instance.name === name);
  }

  async create(spec: InstanceSpec, options: CreateOptions, signal?: AbortSignal): Promise<LiveInstance> {
    const body = toCreateBody(spec, options);
    const attemptBody = (): Record<string, unknown> =>
      options.attemptLabel === undefined ? body : { ...body, labels: { ...(body['labels'] as Record<string, string> | undefined), [options.attemptLabel]: this.#newId() } };
    const budget = this.#newBudget();
    let mayExist = false;
    for (;;) {
      if (mayExist) {
        // the previous POST may have created it: look before posting again
        let existing: LiveInstance[];
        try {
          existing = await this.findByName(spec.name, signal);
        } catch (e: unknown) {
          await this.#beforeNextAttempt(e, budget, signal);
          continue; // still unknown whether it exists: look again, never POST blind
        }
        // Any container with the name counts as ours (ours by label first, then newest): callers create
        // only when the name is free, and comparing Rancher's createdTS with our clock would make a skewed
        // clock create a twin. A twin left by a late commit is removed by the controller (by its labels).
        const labelled = (l: LiveInstance): number => (createdForKey(l) === undefined ? 1 : 0);
        const ours = existing.sort((a, b) => labelled(a) - labelled(b) || (b.createdMs ?? 0) - (a.createdMs ?? 0))[0];
        if (ours) {
          this.#log?.info({ key: spec.name, instanceId: ours.id }, 'create resolved by name lookup');
          return ours;
        }
        mayExist = false;
      }
      try {
        const response = await this.#http.request({ ...this.#req('POST', 'containers', signal), json: attemptBody() });
        const created = Array.isArray(response.body) ? response.body[0] : response.body;
        this.#retryLevel.succeeded();
        return this.#toLive(created, 'POST', 'containers');
      } catch (e: unknown) {
        // a 4xx (429 included) was refused before anything was created; anything else may have landed
        if (!(e instanceof ApiError && e.status !== undefined && e.status < 500) && !neverReachedServer(e)) options.onAttemptInDoubt?.();
        await this.#beforeNextAttempt(e, budget, signal);
        mayExist = !refusedUnprocessed(e);
      }
    }
  }

  async update(id: string, changes: Readonly<{ name?: string; description?: string }>, signal?: AbortSignal): Promise<LiveInstance> {
    const path = `containers/${encodeURIComponent(id)}`;
    const applied = (live: LiveInstance): boolean =>
      (changes.name === undefined || live.name === changes.name) && (changes.description === undefined || live.description === changes.description);
    return this.#mutate(id, (live) => (live && applied(live) ? 'landed' : 'not-landed'), () => ({ ...this.#req('PUT', path, signal), json: toUpdateBody(changes) }), signal);
  }

  start(id: string, signal?: AbortSignal): Promise<LiveInstance> {
    return this.#action(id, { name: 'start' }, signal);
  }

  stop(id: string, options: StopOptions = {}, signal?: AbortSignal): Promise<LiveInstance> {
    return this.#action(id, { name: 'stop', remove: options.remove === true }, signal, toStopBody(options));
  }

  /**
   * The restart action. After a lost answer it is never sent again: the container read back decides
   * (restartOutcome, with `startCountBefore`), and an outcome it cannot tell is thrown as the original
   * error (the caller keeps the restart recorded as applied).
   */
  restart(id: string, options: Readonly<{ startCountBefore?: number; beforeSend?: () => Promise<void> }> = {}, signal?: AbortSignal): Promise<LiveInstance> {
    const path = `containers/${encodeURIComponent(id)}/`;
    const outcome = (live: LiveInstance | undefined): Effect => (restartOutcome(live, options.startCountBefore) === 'landed' ? 'landed' : 'unknown');
    const { beforeSend } = options;
    return this.#mutate(id, outcome, () => ({ ...this.#req('POST', path, signal), searchParams: { action: 'restart' }, json: {}, ...(beforeSend ? { beforeSend } : {}) }), signal);
  }

  remove(id: string, signal?: AbortSignal): Promise<LiveInstance> {
    return this.#action(id, { name: 'remove' }, signal);
  }

  /**
   * The `console` action, only when `actions` offers it (VMs; containers never do, docs/rancher-v1.md#actions-without-a-process). Returns the
   * raw result (`instanceConsole` or `hostAccess`). Throws ApiError ERR_API_UNPROCESSABLE (apiCode
   * ActionNotAvailable) without calling Rancher when the action is not offered.
   */
  async console(id: string, signal?: AbortSignal): Promise<Readonly<Record<string, unknown>>> {
    const live = await this.get(id, signal);
    const path = `containers/${encodeURIComponent(id)}/`;
    if (!live?.actions.has('console')) {
      const url = redactUrl(`${this.#http.baseUrl}/${path}?action=console`);
      throw new ApiError('ERR_API_UNPROCESSABLE', `POST /containers/${id}/?action=console refused: console is not offered`, { method: 'POST', url, apiCode: 'ActionNotAvailable', fieldName: 'action' }, { retryable: false });
    }
    const response = await this.#http.request({ ...this.#req('POST', path, signal), searchParams: { action: 'console' }, json: {} });
    return typeof response.body === 'object' && response.body !== null ? (response.body as Record<string, unknown>) : {};
  }

  async #action(id: string, action: ContainerAction, signal: AbortSignal | undefined, body: Record<string, unknown> = {}): Promise<LiveInstance> {
    const path = `containers/${encodeURIComponent(id)}/`;
    return this.#mutate(id, (live) => (actionTookEffect(action, live) ? 'landed' : 'not-landed'), () => ({ ...this.#req('POST', path, signal), searchParams: { action: action.name }, json: body }), signal);
  }

  /**
   * Sends one mutation; after a retryable failure reads the resource and re-sends only when `tookEffect`
   * says the previous call did not land. A resource that took effect is returned as read; an effect it
   * cannot tell (`unknown`) rethrows the failure that left it in doubt.
   */
  async #mutate(id: string, tookEffect: (live: LiveInstance | undefined) => Effect, build: () => HttpRequest, signal: AbortSignal | undefined): Promise<LiveInstance> {
    const budget = this.#newBudget();
    let mayHaveLanded = false;
    let doubt: unknown;
    for (;;) {
      if (mayHaveLanded) {
        let live: LiveInstance | undefined;
        try {
          live = await this.get(id, signal);
        } catch (e: unknown) {
          await this.#beforeNextAttempt(e, budget, signal);
          continue; // still unknown whether it landed: read again, never re-send blind
        }
        const effect = tookEffect(live);
        if (effect === 'unknown') throw doubt;
        if (effect === 'landed') {
          if (live) return live;
          throw new ApiError('ERR_API_NOT_FOUND', `container ${id} not found after ${build().method}`, { method: 'GET', url: redactUrl(`${this.#http.baseUrl}/containers/${id}`), status: 404 }, { retryable: false });
        }
        mayHaveLanded = false;
      }
      const request = build();
      try {
        const response = await this.#http.request(request);
        this.#retryLevel.succeeded();
        return this.#toLive(response.body, request.method, request.path);
      } catch (e: unknown) {
        await this.#beforeNextAttempt(e, budget, signal);
        mayHaveLanded = !refusedUnprocessed(e);
        doubt = e;
      }
    }
  }

  #newBudget(): { failures: number; throttled: number } {
    return { failures: 0, throttled: 0 };
  }

  /**
   * Rethrows unless the failure is retryable and the budget allows another attempt; otherwise waits the
   * retry delay. A 429 was refused before processing, so it spends the separate `maxThrottledAttempts`
   * budget: a busy proxy must not exhaust the few attempts meant for ambiguous failures.
   */
  async #beforeNextAttempt(e: unknown, budget: { failures: number; throttled: number }, signal: AbortSignal | undefined): Promise<void> {
    // a call the fence refused (leader/fence.ts) is refused again until the lease is back: fail the pass now
    if (!(e instanceof ApiError) || !e.retryable || fencedByLease(e)) throw e;
    if (e.code === 'ERR_API_RATE_LIMITED') budget.throttled += 1;
    else budget.failures += 1;
    if (budget.failures >= this.#maxAttempts || budget.throttled >= this.#maxThrottledAttempts) throw e;
    const attempt = budget.failures + budget.throttled;
    const delay = e.code === 'ERR_API_CONFLICT' ? this.#conflictDelayMs : retryDelayMs(attempt, e.retryAfterMs, this.#retryDelay, this.#random);
    this.#log?.[this.#retryLevel.failed(e)]({ attempt, retryInMs: delay, err: { code: e.code, message: e.message } }, 'mutation failed, verifying before retry');
    try {
      await sleep(this.#clock, delay, signal);
    } catch (abortReason: unknown) {
      throw toApiError({ kind: 'aborted' }, { method: e.method, url: e.url }, coerceError(abortReason));
    }
  }

  async #listAll(searchParams: Readonly<Record<string, string | number>>, signal: AbortSignal | undefined): Promise<LiveInstance[]> {
    const seen = new Map<string, LiveInstance>();
    let request: HttpRequest = { ...this.#req('GET', 'containers', signal), searchParams };
    for (let page = 1; ; page += 1) {
      const response = await this.#http.request(request);
      const collection = parseCollection(response.body);
      if (!collection) throw toApiError({ kind: 'invalid-response', detail: 'collection without a data array' }, { method: 'GET', url: `${this.#http.baseUrl}/containers` });
      // a container created between pages can shift offsets: keying by id keeps each exactly once
      for (const item of collection.items) seen.set(item.id, toLiveInstance(item));
      if (!collection.next) return [...seen.values()];
      if (page >= 10_000) throw new ReconcilerError('ERR_API_INVALID_RESPONSE', 'GET /v1/containers: pagination does not end');
      request = this.#req('GET', collection.next, signal);
    }
  }

  #req(method: HttpRequest['method'], path: string, signal: AbortSignal | undefined): HttpRequest {
    return signal ? { method, path, signal } : { method, path };
  }

  #toLive(body: unknown, method: string, path: string): LiveInstance {
    if (!isWireContainer(body)) throw toApiError({ kind: 'invalid-response', detail: 'expected a container resource' }, { method, url: `${this.#http.baseUrl}/${path}` });
    return toLiveInstance(body);
  }
}

/**
 * A 429 is refused before the server does anything, and a refused connection never reached it: the call
 * certainly did not land, so no look-up is needed before sending it again (every other retryable
 * failure is ambiguous).
 */
function refusedUnprocessed(error: unknown): boolean {
  return (error instanceof ApiError && error.code === 'ERR_API_RATE_LIMITED') || neverReachedServer(error);
}
