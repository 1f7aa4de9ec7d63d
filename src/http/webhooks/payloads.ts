/**
 * What a verified webhook request says, per provider: a ping, a push (the names it gives for its
 * repository and the ref), another event, or a body we cannot read. Pure: no I/O, clock or logger.
 *
 * Nothing here is trusted beyond "look now": the git source fetches and decides from the remote itself.
 * The fields read are the providers' documented push payload fields:
 * - GitHub: `X-GitHub-Event` `push` / `ping`; `ref`, `repository.{clone_url,ssh_url,html_url,git_url,full_name}`
 *   (docs.github.com/en/webhooks/webhook-events-and-payloads#push); JSON or form-encoded `payload=<json>`.
 * - GitLab: `X-Gitlab-Event` `Push Hook` / `Tag Push Hook` (the test button sends a Push Hook), also
 *   `System Hook` with `object_kind` push/tag_push; `ref`, `project.{git_http_url,git_ssh_url,web_url,
 *   path_with_namespace}` and the older `repository.{url,git_http_url,git_ssh_url,homepage}`
 *   (docs.gitlab.com/user/project/integrations/webhook_events/#push-events).
 * - Gitea: `X-Gitea-Event` (or `X-GitHub-Event`, which it sends too) `push`; the GitHub-shaped `ref` and
 *   `repository.{clone_url,ssh_url,html_url,full_name}` (docs.gitea.com/usage/webhooks).
 * - generic: optional JSON `{ repository?: string, ref?: string }`; an empty body means "look now".
 */
import type { IncomingHttpHeaders } from 'node:http';
import { assertNever } from '../../errors.js';
import type { WebhookProvider } from '../../observability/source-metrics.js';

/** A verified request, read. `event` is the provider's own event name as sent (for reasons and logs). */
export type WebhookEvent =
  | Readonly<{ kind: 'ping'; event: string }>
  /** `repositories`: the payload's names for its repository, URLs first; `ref` undefined when it names none. */
  | Readonly<{ kind: 'push'; event: string; repositories: readonly string[]; ref: string | undefined }>
  /** A valid request that is no push (an issue comment, a release, ...): answered 202 and ignored. */
  | Readonly<{ kind: 'other'; event: string; reason: string }>
  /** A body that is not what the provider sends; `message` says what is wrong, without echoing the body. */
  | Readonly<{ kind: 'invalid'; message: string }>;

type Json = Readonly<Record<string, unknown>>;

const githubRepositoryFields = ['clone_url', 'ssh_url', 'html_url', 'git_url', 'full_name'] as const;
const gitlabProjectFields = ['git_http_url', 'git_ssh_url', 'web_url', 'http_url', 'ssh_url', 'path_with_namespace'] as const;
const gitlabRepositoryFields = ['git_http_url', 'git_ssh_url', 'url', 'homepage'] as const;
const gitlabPushEvents: ReadonlySet<string> = new Set(['Push Hook', 'Tag Push Hook']);

/**
 * Reads a request that has already passed signature checks. The event header is looked at first, so
 * an event we ignore is never parsed; a push whose body is not a JSON object is `invalid`.
 */
export function readWebhookEvent(provider: WebhookProvider, headers: IncomingHttpHeaders, body: Buffer): WebhookEvent {
  switch (provider) {
    case 'github':
      return readGithubShaped(provider, header(headers, 'x-github-event'), 'X-GitHub-Event', headers, body);
    case 'gitea':
      return readGithubShaped(provider, header(headers, 'x-gitea-event') ?? header(headers, 'x-github-event'), 'X-Gitea-Event', headers, body);
    case 'gitlab':
      return readGitlab(headers, body);
    case 'generic':
      return readGeneric(headers, body);
    default:
      return assertNever(provider, 'webhook provider');
  }
}

function readGithubShaped(provider: 'github' | 'gitea', event: string | undefined, eventHeader: string, headers: IncomingHttpHeaders, body: Buffer): WebhookEvent {
  if (event === undefined) return { kind: 'other', event: '', reason: `the request has no ${eventHeader} header` };
  if (event === 'ping') return { kind: 'ping', event };
  if (event !== 'push') return { kind: 'other', event, reason: `the ${provider} event ${quote(event)} is not a push` };
  const payload = decodeBody(headers, body, provider === 'github');
  if (payload.kind === 'invalid') return payload;
  const repository = objectAt(payload.value, 'repository');
  return { kind: 'push', event, repositories: stringsAt(repository, githubRepositoryFields), ref: stringAt(payload.value, 'ref') };
}

function readGitlab(headers: IncomingHttpHeaders, body: Buffer): WebhookEvent {
  const event = header(headers, 'x-gitlab-event');
  if (event === undefined) return { kind: 'other', event: '', reason: 'the request has no X-Gitlab-Event header' };
  const system = event === 'System Hook';
  if (!system && !gitlabPushEvents.has(event)) return { kind: 'other', event, reason: `the gitlab event ${quote(event)} is not a push` };
  const payload = decodeBody(headers, body, false);
  if (payload.kind === 'invalid') return payload;
  const kind = stringAt(payload.value, 'object_kind');
  // a system hook carries every kind of instance event; only its pushes are ours
  if (system && kind !== 'push' && kind !== 'tag_push') {
    const name = stringAt(payload.value, 'event_name') ?? kind ?? 'without event_name';
    return { kind: 'other', event, reason: `the gitlab system hook ${quote(name)} is not a push` };
  }
  // `project` is the current shape; `repository` is the older one GitLab still sends alongside
  const repositories = new Set([
    ...stringsAt(objectAt(payload.value, 'project'), gitlabProjectFields),
    ...stringsAt(objectAt(payload.value, 'repository'), gitlabRepositoryFields),
  ]);
  return { kind: 'push', event, repositories: [...repositories], ref: stringAt(payload.value, 'ref') };
}

function readGeneric(headers: IncomingHttpHeaders, body: Buffer): WebhookEvent {
  if (body.toString('utf8').trim() === '') return { kind: 'push', event: 'generic', repositories: [], ref: undefined };
  const payload = decodeBody(headers, body, false);
  if (payload.kind === 'invalid') return payload;
  const { repository, ref } = payload.value;
  if (repository !== undefined && typeof repository !== 'string') return { kind: 'invalid', message: '`repository` must be a string (a repository URL)' };
  if (ref !== undefined && typeof ref !== 'string') return { kind: 'invalid', message: '`ref` must be a string (`refs/heads/main` or `main`)' };
  return { kind: 'push', event: 'generic', repositories: repository === undefined || repository === '' ? [] : [repository], ref: ref === '' ? undefined : ref };
}

/** The body as a JSON object: raw JSON, or (GitHub's other content type) the JSON in a form's `payload` field. */
function decodeBody(headers: IncomingHttpHeaders, body: Buffer, formAllowed: boolean): Readonly<{ kind: 'json'; value: Json }> | Readonly<{ kind: 'invalid'; message: string }> {
  const type = (header(headers, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  let text = body.toString('utf8');
  if (type === 'application/x-www-form-urlencoded') {
    if (!formAllowed) return { kind: 'invalid', message: 'a form-encoded body is not supported here (send application/json)' };
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null) return { kind: 'invalid', message: 'the form-encoded body has no `payload` field' };
    text = payload;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // the parser's message quotes the body; say what is wrong without it
    return { kind: 'invalid', message: 'the body is not JSON' };
  }
  return isObject(value) ? { kind: 'json', value } : { kind: 'invalid', message: 'the body is not a JSON object' };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectAt(value: Json, field: string): Json | undefined {
  const inner = value[field];
  return isObject(inner) ? inner : undefined;
}

function stringAt(value: Json | undefined, field: string): string | undefined {
  const inner = value?.[field];
  return typeof inner === 'string' && inner !== '' ? inner : undefined;
}

function stringsAt(value: Json | undefined, fields: readonly string[]): string[] {
  return fields.map((field) => stringAt(value, field)).filter((s): s is string => s !== undefined);
}

/** An event name from a header, quoted and cut short: it goes into a reply and a log line. */
function quote(event: string): string {
  return JSON.stringify(event.length > 64 ? `${event.slice(0, 64)}…` : event);
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}
