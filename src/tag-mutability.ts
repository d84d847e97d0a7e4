/** Tag mutability rules of ECR repositories, kept apart from the SDK client so they load without it. */

export interface RepositoryDescription {
    readonly name: string;
    readonly uri: string | undefined;
    /** MUTABLE, IMMUTABLE, or one of their variants with exclusion filters. */
    readonly imageTagMutability: string | undefined;
    /** Wildcard patterns of the tags that are the exception to imageTagMutability. */
    readonly mutabilityExclusionFilters: readonly string[];
}

/**
 * Tells whether ECR rejects moving a tag of the repository to another image.
 * In the *_WITH_EXCLUSION modes, tags matching a filter (where `*` matches any
 * characters) get the opposite of the repository's setting.
 */
export function isTagImmutable(repository: RepositoryDescription, tag: string): boolean {
    const immutable = repository.imageTagMutability?.startsWith('IMMUTABLE') ?? false;
    const excluded = repository.mutabilityExclusionFilters.some((filter) => matchesWildcard(filter, tag));
    return immutable !== excluded;
}

function matchesWildcard(filter: string, tag: string): boolean {
    const pattern = filter
        .split('*')
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*');
    return new RegExp(`^${pattern}$`).test(tag);
}
