/**
 * Reading verified webhook requests (src/http/webhooks/payloads.ts), one row per rule, on bodies shaped
 * like the providers' own (test/helpers/webhook-payloads.ts names the documentation each follows).
 */
import { describe, expect, test } from '@jest/globals';
import type { IncomingHttpHeaders } from 'node:http';
import { readWebhookEvent, type WebhookEvent } from '../../../src/http/webhooks/payloads.js';
import type { WebhookProvider } from '../../../src/observability/source-metrics.js';
import { aGiteaPush, aGithubPing, aGithubPush, aGitlabPush } from '../../helpers/webhook-payloads.js';

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const form = (value: unknown): Buffer => Buffer.from(new URLSearchParams({ payload: JSON.stringify(value) }).toString());
const jsonType = { 'content-type': 'application/json' };
const formType = { 'content-type': 'application/x-www-form-urlencoded' };

const githubRepositories = ['https://github.com/org/repo.git', 'git@github.com:org/repo.git', 'https://github.com/org/repo', 'git://github.com/org/repo.git', 'org/repo'];
// project.{git_http_url,git_ssh_url,web_url,path_with_namespace}; repository.* repeats them and is not listed twice
const gitlabRepositories = ['http://example.com/mike/diaspora.git', 'git@example.com:mike/diaspora.git', 'http://example.com/mike/diaspora', 'mike/diaspora'];
const giteaRepositories = ['https://gitea.example.com/gitea/webhooks.git', 'git@gitea.example.com:gitea/webhooks.git', 'https://gitea.example.com/gitea/webhooks', 'gitea/webhooks'];
const push = (event: string, repositories: readonly string[], ref: string | undefined): WebhookEvent => ({ kind: 'push', event, repositories, ref });

describe('readWebhookEvent', () => {
  test.each<[string, WebhookProvider, IncomingHttpHeaders, Buffer, WebhookEvent]>([
    ['github: a push gives every repository URL, the full name and the ref', 'github',
      { ...jsonType, 'x-github-event': 'push' }, json(aGithubPush()), push('push', githubRepositories, 'refs/heads/main')],
    ['github: a tag push gives the tag ref', 'github',
      { ...jsonType, 'x-github-event': 'push' }, json(aGithubPush({ ref: 'refs/tags/v1.2.3' })), push('push', githubRepositories, 'refs/tags/v1.2.3')],
    ['github: a form-encoded push is read from its payload field', 'github',
      { ...formType, 'x-github-event': 'push' }, form(aGithubPush()), push('push', githubRepositories, 'refs/heads/main')],
    ['github: the content type may carry a charset', 'github',
      { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', 'x-github-event': 'push' }, form(aGithubPush()), push('push', githubRepositories, 'refs/heads/main')],
    ['github: a form without a payload field is invalid', 'github',
      { ...formType, 'x-github-event': 'push' }, Buffer.from('ref=refs%2Fheads%2Fmain'), { kind: 'invalid', message: 'the form-encoded body has no `payload` field' }],
    ['github: a ping is a ping', 'github', { ...jsonType, 'x-github-event': 'ping' }, json(aGithubPing()), { kind: 'ping', event: 'ping' }],
    ['github: another event is ignored with its name', 'github',
      { ...jsonType, 'x-github-event': 'issues' }, json({ action: 'opened' }), { kind: 'other', event: 'issues', reason: 'the github event "issues" is not a push' }],
    ['github: an ignored event is not parsed', 'github',
      { ...jsonType, 'x-github-event': 'release' }, Buffer.from('{not json'), { kind: 'other', event: 'release', reason: 'the github event "release" is not a push' }],
    ['github: a long event name is cut short', 'github',
      { 'x-github-event': 'x'.repeat(100) }, Buffer.alloc(0), { kind: 'other', event: 'x'.repeat(100), reason: `the github event "${'x'.repeat(64)}…" is not a push` }],
    ['github: no event header is ignored', 'github', jsonType, json(aGithubPush()), { kind: 'other', event: '', reason: 'the request has no X-GitHub-Event header' }],
    ['github: a push that is not JSON is invalid, without quoting it', 'github',
      { ...jsonType, 'x-github-event': 'push' }, Buffer.from('{"ref": '), { kind: 'invalid', message: 'the body is not JSON' }],
    ['github: a push that is a JSON array is invalid', 'github',
      { ...jsonType, 'x-github-event': 'push' }, json([aGithubPush()]), { kind: 'invalid', message: 'the body is not a JSON object' }],
    ['github: a push without repository or ref names neither', 'github', { 'x-github-event': 'push' }, json({}), push('push', [], undefined)],
    ['github: non-string fields are not names', 'github',
      { 'x-github-event': 'push' }, json({ ref: 7, repository: { clone_url: ['x'], full_name: 'org/repo' } }), push('push', ['org/repo'], undefined)],

    ['gitlab: a Push Hook gives the project and repository URLs and the ref', 'gitlab',
      { ...jsonType, 'x-gitlab-event': 'Push Hook' }, json(aGitlabPush()), push('Push Hook', gitlabRepositories, 'refs/heads/main')],
    ['gitlab: a Tag Push Hook gives the tag ref', 'gitlab',
      { ...jsonType, 'x-gitlab-event': 'Tag Push Hook' }, json(aGitlabPush({ kind: 'tag_push' })), push('Tag Push Hook', gitlabRepositories, 'refs/tags/v1.0.0')],
    ['gitlab: a System Hook push is a push', 'gitlab',
      { ...jsonType, 'x-gitlab-event': 'System Hook' }, json(aGitlabPush()), push('System Hook', gitlabRepositories, 'refs/heads/main')],
    ['gitlab: another System Hook event is ignored', 'gitlab',
      { ...jsonType, 'x-gitlab-event': 'System Hook' }, json({ event_name: 'project_create', name: 'StoreCloud' }), { kind: 'other', event: 'System Hook', reason: 'the gitlab system hook "project_create" is not a push' }],
    ['gitlab: a Merge Request Hook is ignored', 'gitlab',
      { ...jsonType, 'x-gitlab-event': 'Merge Request Hook' }, json({ object_kind: 'merge_request' }), { kind: 'other', event: 'Merge Request Hook', reason: 'the gitlab event "Merge Request Hook" is not a push' }],
    ['gitlab: no event header is ignored', 'gitlab', jsonType, json(aGitlabPush()), { kind: 'other', event: '', reason: 'the request has no X-Gitlab-Event header' }],
    ['gitlab: a form-encoded body is invalid (GitLab only sends JSON)', 'gitlab',
      { ...formType, 'x-gitlab-event': 'Push Hook' }, form(aGitlabPush()), { kind: 'invalid', message: 'a form-encoded body is not supported here (send application/json)' }],

    ['gitea: a push by X-Gitea-Event gives its repository URLs and the ref', 'gitea',
      { ...jsonType, 'x-gitea-event': 'push' }, json(aGiteaPush()), push('push', giteaRepositories, 'refs/heads/main')],
    ['gitea: X-GitHub-Event alone is read too', 'gitea',
      { ...jsonType, 'x-github-event': 'push' }, json(aGiteaPush()), push('push', giteaRepositories, 'refs/heads/main')],
    ['gitea: X-Gitea-Event wins over X-GitHub-Event', 'gitea',
      { ...jsonType, 'x-gitea-event': 'create', 'x-github-event': 'push' }, json(aGiteaPush()), { kind: 'other', event: 'create', reason: 'the gitea event "create" is not a push' }],
    ['gitea: a ping (X-Gitea-Event) is a ping', 'gitea', { 'x-gitea-event': 'ping' }, json({}), { kind: 'ping', event: 'ping' }],
    ['gitea: a ping (X-GitHub-Event) is a ping', 'gitea', { 'x-github-event': 'ping' }, json({}), { kind: 'ping', event: 'ping' }],
    ['gitea: no event header is ignored', 'gitea', jsonType, json(aGiteaPush()), { kind: 'other', event: '', reason: 'the request has no X-Gitea-Event header' }],

    ['generic: an empty body means look now', 'generic', {}, Buffer.alloc(0), push('generic', [], undefined)],
    ['generic: a blank body means look now', 'generic', jsonType, Buffer.from(' \n'), push('generic', [], undefined)],
    ['generic: an empty object means look now', 'generic', jsonType, json({}), push('generic', [], undefined)],
    ['generic: repository and ref are read', 'generic',
      jsonType, json({ repository: 'https://git.example.com/org/repo.git', ref: 'refs/heads/main' }), push('generic', ['https://git.example.com/org/repo.git'], 'refs/heads/main')],
    ['generic: a short ref is kept as sent', 'generic', jsonType, json({ ref: 'main' }), push('generic', [], 'main')],
    ['generic: empty strings name nothing', 'generic', jsonType, json({ repository: '', ref: '' }), push('generic', [], undefined)],
    ['generic: a repository that is no string is invalid', 'generic',
      jsonType, json({ repository: { url: 'x' } }), { kind: 'invalid', message: '`repository` must be a string (a repository URL)' }],
    ['generic: a ref that is no string is invalid', 'generic', jsonType, json({ ref: 1 }), { kind: 'invalid', message: '`ref` must be a string (`refs/heads/main` or `main`)' }],
    ['generic: a body that is not JSON is invalid', 'generic', jsonType, Buffer.from('main'), { kind: 'invalid', message: 'the body is not JSON' }],
  ])('%s', (_rule, provider, headers, body, expected) => {
    expect(readWebhookEvent(provider, headers, body)).toEqual(expected);
  });
});
