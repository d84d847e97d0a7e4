/**
 * Naming rules for ECR repositories, image tags and image IDs. Pure functions:
 * each check returns a rule violation, or undefined when the value is valid.
 */

export const DEFAULT_TAG = 'latest';

/** Repository name pattern of the ECR CreateRepository API. */
const REPOSITORY_NAME_PATTERN = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const REPOSITORY_NAME_MIN_LENGTH = 2;
const REPOSITORY_NAME_MAX_LENGTH = 256;

/** Tag pattern of the Docker distribution specification. */
const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const TAG_MAX_LENGTH = 128;

const FULL_IMAGE_ID_PATTERN = /^sha256:[0-9a-f]{64}$/;
const SHORT_IMAGE_ID_PATTERN = /^[0-9a-f]{12,64}$/;

export type RepositoryNameViolation = 'length' | 'uppercase' | 'pattern';
export type TagViolation = 'reference' | 'length' | 'pattern';

export function checkRepositoryName(name: string): RepositoryNameViolation | undefined {
    if (name.length < REPOSITORY_NAME_MIN_LENGTH || name.length > REPOSITORY_NAME_MAX_LENGTH) {
        return 'length';
    }
    if (name !== name.toLowerCase()) {
        return 'uppercase';
    }
    if (!REPOSITORY_NAME_PATTERN.test(name)) {
        return 'pattern';
    }
    return undefined;
}

/**
 * Converts a repository name to Docker naming conventions: lowercase, with every
 * character other than a-z, 0-9, '.', '_', '-' and the '/' namespace separator
 * dropped. The result may still break the rules (for example `a..b`), so the
 * caller checks it with checkRepositoryName.
 */
export function toDockerRepositoryName(name: string): string {
    return name.toLowerCase().replace(/[^a-z0-9._/-]/g, '');
}

/**
 * Checks one image tag. A value holding '/' or ':' is reported as a whole image
 * reference, because that is the usual mistake (the full ECR URI pasted as the tag).
 */
export function checkTag(tag: string): TagViolation | undefined {
    if (tag.includes('/') || tag.includes(':')) {
        return 'reference';
    }
    if (tag.length > TAG_MAX_LENGTH) {
        return 'length';
    }
    if (!TAG_PATTERN.test(tag)) {
        return 'pattern';
    }
    return undefined;
}

/**
 * Splits a tag list given one per line or separated by commas. Blank entries are
 * dropped and duplicates kept once, in their first position. An empty list
 * means the default tag, `latest`.
 */
export function parseTagList(value: string): string[] {
    const tags = value
        .split(/[\n\r,]/)
        .map((tag) => tag.trim())
        .filter((tag) => tag.length > 0);
    const unique = [...new Set(tags)];
    return unique.length > 0 ? unique : [DEFAULT_TAG];
}

export function isValidImageId(imageId: string): boolean {
    return FULL_IMAGE_ID_PATTERN.test(imageId) || SHORT_IMAGE_ID_PATTERN.test(imageId);
}

/** Returns `<registry host>/<repository>:<tag>`. */
export function formatImageReference(registryHost: string, repository: string, tag: string): string {
    return `${registryHost}/${repository}:${tag}`;
}
