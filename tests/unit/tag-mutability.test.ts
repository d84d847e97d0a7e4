import { isTagImmutable, type RepositoryDescription } from '../../src/tag-mutability';

function repository(imageTagMutability: string | undefined, mutabilityExclusionFilters: string[] = []): RepositoryDescription {
    return { name: 'team/app', uri: undefined, imageTagMutability, mutabilityExclusionFilters };
}

describe('isTagImmutable', () => {
    it.each([
        [undefined, [], 'latest', false],
        ['MUTABLE', [], 'latest', false],
        ['IMMUTABLE', [], 'latest', true],
        ['IMMUTABLE_WITH_EXCLUSION', ['latest'], 'latest', false],
        ['IMMUTABLE_WITH_EXCLUSION', ['latest'], 'latest-1', true],
        ['IMMUTABLE_WITH_EXCLUSION', ['dev-*'], 'dev-42', false],
        ['IMMUTABLE_WITH_EXCLUSION', ['dev-*'], 'dev-', false],
        ['IMMUTABLE_WITH_EXCLUSION', ['dev-*'], 'prod-dev-42', true],
        ['IMMUTABLE_WITH_EXCLUSION', ['*-snapshot', 'latest'], '1.0-snapshot', false],
        ['MUTABLE_WITH_EXCLUSION', ['release-*'], 'release-1', true],
        ['MUTABLE_WITH_EXCLUSION', ['release-*'], 'latest', false],
        ['MUTABLE_WITH_EXCLUSION', ['v1.0'], 'v1x0', false],
        ['MUTABLE_WITH_EXCLUSION', ['*'], 'anything', true],
    ])('%s with %j treats %s as immutable: %s', (mutability, filters, tag, expected) => {
        expect(isTagImmutable(repository(mutability, filters), tag)).toBe(expected);
    });
});
