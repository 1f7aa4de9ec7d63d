/**
 * Webhook bodies shaped like the real ones, trimmed to a few fields each but with the providers' own
 * field names and nesting, and the headers that go with them. The one place webhook test data is shaped.
 *
 * Sources (field names and example values):
 * - GitHub push and ping: docs.github.com/en/webhooks/webhook-events-and-payloads#push and #ping;
 *   headers: docs.github.com/en/webhooks/webhook-events-and-payloads#delivery-headers.
 * - GitLab push and tag push: docs.gitlab.com/user/project/integrations/webhook_events/#push-events and
 *   #tag-events (example project `mike/diaspora` on `example.com`).
 * - Gitea push: docs.gitea.com/usage/webhooks ("Event information", example repository `gitea/webhooks`).
 */
import { createHmac } from 'node:crypto';

/** Which repository a payload names: a forge host and a full name such as `org/repo`. */
export type PayloadRepository = Readonly<{ host: string; fullName: string }>;

const before = '6113728f27ae82c7b1a177c8d03f9e96e0adf246';
const after = '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c';

/** The `repository` object GitHub puts in push and ping events. */
function githubRepository({ host, fullName }: PayloadRepository): Record<string, unknown> {
  const [owner = 'org', name = 'repo'] = fullName.split('/');
  return {
    id: 186853002,
    node_id: 'MDEwOlJlcG9zaXRvcnkxODY4NTMwMDI=',
    name,
    full_name: fullName,
    private: true,
    owner: { name: owner, login: owner, id: 21031067, type: 'Organization' },
    html_url: `https://${host}/${fullName}`,
    url: `https://${host}/${fullName}`,
    git_url: `git://${host}/${fullName}.git`,
    ssh_url: `git@${host}:${fullName}.git`,
    clone_url: `https://${host}/${fullName}.git`,
    default_branch: 'main',
  };
}

/** A GitHub `push` event body. */
export function aGithubPush(options: Readonly<{ ref?: string; repository?: PayloadRepository }> = {}): Record<string, unknown> {
  const repository = options.repository ?? { host: 'github.com', fullName: 'org/repo' };
  return {
    ref: options.ref ?? 'refs/heads/main',
    before,
    after,
    created: false,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: `https://${repository.host}/${repository.fullName}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
    commits: [{ id: after, message: 'web: image 1.2.3', timestamp: '2024-05-01T12:00:00Z', author: { name: 'Octo Cat', email: 'octocat@github.com', username: 'octocat' } }],
    head_commit: { id: after, message: 'web: image 1.2.3' },
    repository: githubRepository(repository),
    pusher: { name: 'octocat', email: 'octocat@github.com' },
    sender: { login: 'octocat', id: 583231, type: 'User' },
  };
}

/** A GitHub `ping` event body (sent when the webhook is created). */
export function aGithubPing(): Record<string, unknown> {
  return {
    zen: 'Keep it logically awesome.',
    hook_id: 109948940,
    hook: { type: 'Repository', id: 109948940, name: 'web', active: true, events: ['push'], config: { content_type: 'json', insecure_ssl: '0', url: 'https://reconciler.example.com/hooks/github' } },
    repository: githubRepository({ host: 'github.com', fullName: 'org/repo' }),
    sender: { login: 'octocat', id: 583231, type: 'User' },
  };
}

/** A GitLab `Push Hook` body, or a `Tag Push Hook` one with `kind: 'tag_push'`. */
export function aGitlabPush(options: Readonly<{ ref?: string; kind?: 'push' | 'tag_push'; repository?: PayloadRepository }> = {}): Record<string, unknown> {
  const { host, fullName } = options.repository ?? { host: 'example.com', fullName: 'mike/diaspora' };
  const kind = options.kind ?? 'push';
  return {
    object_kind: kind,
    event_name: kind,
    before,
    after,
    ref: options.ref ?? (kind === 'push' ? 'refs/heads/main' : 'refs/tags/v1.0.0'),
    ref_protected: true,
    checkout_sha: after,
    user_id: 4,
    user_name: 'John Smith',
    user_username: 'jsmith',
    project_id: 15,
    project: {
      id: 15,
      name: 'Diaspora',
      web_url: `http://${host}/${fullName}`,
      git_ssh_url: `git@${host}:${fullName}.git`,
      git_http_url: `http://${host}/${fullName}.git`,
      namespace: 'Mike',
      visibility_level: 0,
      path_with_namespace: fullName,
      default_branch: 'main',
    },
    commits: [{ id: after, message: 'web: image 1.2.3', timestamp: '2024-05-01T12:00:00+02:00', author: { name: 'John Smith', email: 'jsmith@example.com' } }],
    total_commits_count: 1,
    repository: {
      name: 'Diaspora',
      url: `git@${host}:${fullName}.git`,
      description: '',
      homepage: `http://${host}/${fullName}`,
      git_http_url: `http://${host}/${fullName}.git`,
      git_ssh_url: `git@${host}:${fullName}.git`,
      visibility_level: 0,
    },
  };
}

/** A Gitea `push` event body (GitHub-shaped, with Gitea's own repository fields). */
export function aGiteaPush(options: Readonly<{ ref?: string; repository?: PayloadRepository }> = {}): Record<string, unknown> {
  const { host, fullName } = options.repository ?? { host: 'gitea.example.com', fullName: 'gitea/webhooks' };
  const [owner = 'gitea', name = 'webhooks'] = fullName.split('/');
  return {
    ref: options.ref ?? 'refs/heads/main',
    before,
    after,
    compare_url: `https://${host}/${fullName}/compare/${before}...${after}`,
    commits: [{ id: after, message: 'Webhooks Yay!', url: `https://${host}/${fullName}/commit/${after}`, author: { name: 'Gitea', email: 'someone@gitea.io', username: 'gitea' } }],
    repository: {
      id: 140,
      owner: { id: 1, login: owner, full_name: owner, username: owner },
      name,
      full_name: fullName,
      private: false,
      fork: false,
      html_url: `https://${host}/${fullName}`,
      ssh_url: `git@${host}:${fullName}.git`,
      clone_url: `https://${host}/${fullName}.git`,
      default_branch: 'main',
    },
    pusher: { id: 1, login: owner, username: owner },
    sender: { id: 1, login: owner, username: owner },
  };
}

/** The hex HMAC-SHA256 of `body` under `secret`, as every signing provider computes it. */
export function hmacHex(secret: string, body: string | Buffer): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

/** The headers a provider sends with `body` (event names as the providers spell them), signed with `secret`. */
export function providerHeaders(provider: 'github' | 'gitlab' | 'gitea' | 'generic', secret: string, body: string | Buffer, event?: string): Record<string, string> {
  const json = { 'Content-Type': 'application/json' };
  switch (provider) {
    case 'github':
      return { ...json, 'X-GitHub-Event': event ?? 'push', 'X-GitHub-Delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958', 'X-Hub-Signature-256': `sha256=${hmacHex(secret, body)}` };
    case 'gitlab':
      return { ...json, 'X-Gitlab-Event': event ?? 'Push Hook', 'X-Gitlab-Token': secret, 'X-Gitlab-Event-UUID': '13792a34-cac6-4fda-95a8-c58e00a3954e' };
    case 'gitea':
      return {
        ...json,
        'X-Gitea-Event': event ?? 'push',
        'X-GitHub-Event': event ?? 'push',
        'X-Gitea-Delivery': 'f6266f16-1bf3-46a5-9ea4-602e06ead473',
        'X-Gitea-Signature': hmacHex(secret, body),
        'X-Hub-Signature-256': `sha256=${hmacHex(secret, body)}`,
      };
    case 'generic':
      return { ...json, 'X-Signature': `sha256=${hmacHex(secret, body)}` };
  }
}
