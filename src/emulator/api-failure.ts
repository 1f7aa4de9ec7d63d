import { randomUUID } from 'node:crypto';

/** Standard phrases used as both `code` and `message` of status-only errors (docs/rancher-v1.md#error-body). */
export const statusPhrases: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method not allowed',
  409: 'Conflict',
  422: 'Unprocessable Entity',
  // 429 is an emulator extension (cattle has no rate limiting), worded like the others
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  // 502 and 504 come from a proxy in front of Rancher (commit-then-fail faults), worded like the others
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/**
 * A request the emulator refuses, thrown inside handlers and rendered once as the real error body.
 * `code` is the Rancher body code (a phrase for status-only errors, a symbol such as `MissingRequired`).
 */
export class ApiFailure extends Error {
  override name = 'ApiFailure';
  readonly status: number;
  readonly code: string;
  readonly apiMessage: string | null;
  readonly fieldName: string | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: string,
    options: { message?: string | null; fieldName?: string; headers?: Record<string, string> } = {},
  ) {
    super(`${status} ${code}`);
    this.status = status;
    this.code = code;
    this.apiMessage = options.message === undefined ? null : options.message;
    this.fieldName = options.fieldName;
    this.headers = options.headers ?? {};
  }

  /** A status-only error: code and message are the standard phrase (404 `Not Found`, 405 `Method not allowed`...). */
  static status(status: number, headers?: Record<string, string>): ApiFailure {
    const phrase = statusPhrases[status] ?? 'Internal Server Error';
    return new ApiFailure(status, phrase, { message: phrase, ...(headers ? { headers } : {}) });
  }

  /** A 422 validation error naming the field (message usually null). */
  static validation(code: string, fieldName: string, message: string | null = null): ApiFailure {
    return new ApiFailure(422, code, { fieldName, message });
  }
}

/**
 * The real error body: `{id, type:"error", links, actions, baseType, status, code, message, detail}` plus
 * `fieldName` on validation errors (docs/rancher-v1.md#error-body; `baseType` as Rancher >= 1.2 sends it).
 */
export function errorBody(failure: ApiFailure): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: randomUUID(),
    type: 'error',
    links: {},
    actions: {},
    baseType: 'error',
    status: failure.status,
    code: failure.code,
    message: failure.apiMessage,
    detail: null,
  };
  if (failure.fieldName !== undefined) body['fieldName'] = failure.fieldName;
  return body;
}
