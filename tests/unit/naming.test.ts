import { checkRepositoryName, checkTag, isValidImageId, parseTagList, toDockerRepositoryName } from '../../src/naming';

describe('checkRepositoryName', () => {
    it.each([
        ['my-app', undefined],
        ['team/app', undefined],
        ['a.b_c-d/e/f', undefined],
        ['ab', undefined],
        ['a'.repeat(256), undefined],
        ['a', 'length'],
        ['a'.repeat(257), 'length'],
        ['My-App', 'uppercase'],
        ['my app', 'pattern'],
        ['a..b', 'pattern'],
        ['/app', 'pattern'],
        ['app/', 'pattern'],
        ['-app', 'pattern'],
        ['team//app', 'pattern'],
        ['app:tag', 'pattern'],
    ])('%s gives %s', (name, expected) => {
        expect(checkRepositoryName(name)).toBe(expected);
    });
});

describe('toDockerRepositoryName', () => {
    it.each([
        ['My.Repo_Name', 'my.repo_name'],
        ['Team/App', 'team/app'],
        ['my repo!', 'myrepo'],
        ['A..B', 'a..b'],
    ])('%s becomes %s', (name, expected) => {
        expect(toDockerRepositoryName(name)).toBe(expected);
    });
});

describe('checkTag', () => {
    it.each([
        ['latest', undefined],
        ['1.2.3', undefined],
        ['_build-42', undefined],
        ['a'.repeat(128), undefined],
        ['-x', 'pattern'],
        ['.x', 'pattern'],
        ['a'.repeat(129), 'length'],
        ['a:b', 'reference'],
        ['123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:tag', 'reference'],
        ['repo/tag', 'reference'],
        ['tag with space', 'pattern'],
    ])('%s gives %s', (tag, expected) => {
        expect(checkTag(tag)).toBe(expected);
    });
});

describe('parseTagList', () => {
    it.each([
        ['', ['latest']],
        ['  ', ['latest']],
        ['v1', ['v1']],
        ['1.2.3\nlatest, stable', ['1.2.3', 'latest', 'stable']],
        ['a,,b\r\n\r\nc', ['a', 'b', 'c']],
        ['a, a, b', ['a', 'b']],
    ])('%j gives %j', (value, expected) => {
        expect(parseTagList(value)).toEqual(expected);
    });
});

describe('isValidImageId', () => {
    it.each([
        [`sha256:${'a'.repeat(64)}`, true],
        ['0123456789ab', true],
        ['a'.repeat(64), true],
        ['0123456789a', false],
        [`sha256:${'a'.repeat(63)}`, false],
        ['sha256:xyz', false],
        ['0123456789AG', false],
    ])('%s is %s', (id, expected) => {
        expect(isValidImageId(id)).toBe(expected);
    });
});
