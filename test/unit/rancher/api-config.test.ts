import { describe, expect, test } from '@jest/globals';
import { parseApiUrl } from '../../../src/rancher/api-config.js';

describe('parseApiUrl', () => {
  test.each<[string, string, unknown]>([
    ['plain /v1', 'http://rancher:8080/v1', { baseUrl: 'http://rancher:8080/v1' }],
    ['/v1 with a trailing slash', 'http://rancher:8080/v1/', { baseUrl: 'http://rancher:8080/v1' }],
    ['/v1 with several trailing slashes', 'http://rancher:8080/v1//', { baseUrl: 'http://rancher:8080/v1' }],
    ['a project-scoped URL', 'https://r.example/v1/projects/1a5', { baseUrl: 'https://r.example/v1/projects/1a5', projectId: '1a5' }],
    ['a project-scoped URL with a trailing slash', 'https://r.example/v1/projects/1a5/', { baseUrl: 'https://r.example/v1/projects/1a5', projectId: '1a5' }],
    ['the server root: /v1 is added', 'http://rancher:8080', { baseUrl: 'http://rancher:8080/v1', mappedFrom: 'http://rancher:8080' }],
    ['the server root with a slash', 'http://rancher:8080/', { baseUrl: 'http://rancher:8080/v1', mappedFrom: 'http://rancher:8080' }],
    ['the server root over https without a port', 'https://rancher.example.com', { baseUrl: 'https://rancher.example.com/v1', mappedFrom: 'https://rancher.example.com' }],
    ['the 1.6 UI\'s /v2-beta/projects/<id>, mapped to v1', 'http://rancher:8080/v2-beta/projects/1a7',
      { baseUrl: 'http://rancher:8080/v1/projects/1a7', projectId: '1a7', mappedFrom: 'http://rancher:8080/v2-beta/projects/1a7' }],
    ['/v2-beta/projects/<id>/ with a trailing slash', 'http://rancher:8080/v2-beta/projects/1a7/',
      { baseUrl: 'http://rancher:8080/v1/projects/1a7', projectId: '1a7', mappedFrom: 'http://rancher:8080/v2-beta/projects/1a7' }],
    ['/v2-beta alone (what CATTLE_URL can be), mapped to /v1', 'http://rancher:8080/v2-beta', { baseUrl: 'http://rancher:8080/v1', mappedFrom: 'http://rancher:8080/v2-beta' }],
    ['a path prefix behind a proxy', 'https://host/rancher/v1', { baseUrl: 'https://host/rancher/v1' }],
    ['a deeper path prefix with a project', 'https://host/ops/rancher/v1/projects/1a5/', { baseUrl: 'https://host/ops/rancher/v1/projects/1a5', projectId: '1a5' }],
    ['a path prefix with /v2-beta/projects/<id>', 'https://host/rancher/v2-beta/projects/1a5',
      { baseUrl: 'https://host/rancher/v1/projects/1a5', projectId: '1a5', mappedFrom: 'https://host/rancher/v2-beta/projects/1a5' }],
    ['an upper-case version segment', 'http://rancher:8080/V1', { baseUrl: 'http://rancher:8080/v1' }],
  ])('accepts %s', (_rule, url, expected) => expect(parseApiUrl(url)).toEqual(expected));

  test.each<[string, string, RegExp]>([
    ['a path prefix without /v1 (the root is only the bare host)', 'https://host/rancher', /got the path `\/rancher`/],
    ['a deeper path', 'http://rancher:8080/v1/containers', /got the path `\/v1\/containers`/],
    ['the projects collection', 'http://rancher:8080/v1/projects', /got the path/],
    ['a v2-beta collection', 'http://rancher:8080/v2-beta/projects/1a5/services', /got the path/],
    ['v1 twice', 'http://rancher:8080/v1/v1', /got the path/],
    ['the Rancher 2.x API', 'https://rancher.example.com/v3', /Rancher 2\.x API \(\/v3\)/],
    ['a Rancher 2.x project URL', 'https://rancher.example.com/v3/projects/c-abc:p-xyz', /Rancher 2\.x/],
    ['another API version', 'http://rancher:8080/v2', /got the path `\/v2`/],
    ['a project id that is not one', 'http://rancher:8080/v1/projects/1a5-x', /got the path/],
    ['another scheme', 'ftp://rancher/v1', /http or https/],
    ['not a URL', 'rancher:8080', /http or https|Expected/],
    ['a query string', 'http://rancher/v1?x=1', /query/],
    ['a fragment', 'http://rancher/v1#top', /query or fragment/],
  ])('rejects %s', (_rule, url, message) => {
    const result = parseApiUrl(url);
    expect('issues' in result && result.issues.join('; ')).toMatch(message);
  });

  test('rejects credentials in the URL without echoing them', () => {
    const result = parseApiUrl('http://key:s3cr3t@rancher:8080/v1');
    expect('issues' in result).toBe(true);
    expect(JSON.stringify(result)).not.toContain('s3cr3t');
  });

  test('is idempotent: a base URL parses to itself, with nothing mapped', () => {
    for (const url of ['http://rancher:8080', 'http://rancher:8080/v2-beta/projects/1a7', 'https://host/rancher/v1/']) {
      const first = parseApiUrl(url);
      if ('issues' in first) throw new Error(first.issues.join('; '));
      expect(parseApiUrl(first.baseUrl)).toEqual({ baseUrl: first.baseUrl, ...(first.projectId ? { projectId: first.projectId } : {}) });
    }
  });
});
