import { randomBytes } from 'node:crypto';

/** Makes a repository name no other test uses, because images stay in the shared registry between tests. */
export function uniqueRepositoryName(prefix = 'test'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
