import { TaskError } from '../../src/errors';
import { parseInputs } from '../../src/inputs';
import { loadTaskMessages } from './task-messages';

beforeAll(loadTaskMessages);

const BASE = { repositoryName: 'my-app', sourceImageName: 'app' };

function parse(values: Record<string, string>) {
    const inputs: Record<string, string> = { ...BASE, ...values };
    return parseInputs((name) => inputs[name], () => {
        throw new Error("no files in this test");
    });
}

function messageOf(values: Record<string, string>): string {
    try {
        parse(values);
    } catch (error) {
        expect(error).toBeInstanceOf(TaskError);
        return (error as Error).message;
    }
    throw new Error('expected parseInputs to throw');
}

describe('parseInputs', () => {
    it('applies the defaults of the original task', () => {
        const inputs = parse({});
        expect(inputs.sourceImage).toEqual({ kind: 'imagename', name: 'app', tag: 'latest' });
        expect(inputs.pushTags).toEqual(['latest']);
        expect(inputs.autoCreateRepository).toBe(false);
        expect(inputs.forceDockerNamingConventions).toBe(false);
        expect(inputs.removeDockerImage).toBe(false);
        expect(inputs.outputVariable).toBeUndefined();
        expect(inputs.regionName).toBeUndefined();
        expect(inputs.serviceConnection).toBeUndefined();
    });

    it('treats empty tags as latest', () => {
        const inputs = parse({ sourceImageTag: '', pushTag: '' });
        expect(inputs.sourceImage).toEqual({ kind: 'imagename', name: 'app', tag: 'latest' });
        expect(inputs.pushTags).toEqual(['latest']);
    });

    it('reads an image ID in either form', () => {
        const full = `sha256:${'ab'.repeat(32)}`;
        expect(parse({ imageSource: 'imageid', sourceImageId: full }).sourceImage).toEqual({ kind: 'imageid', imageId: full });
        expect(parse({ imageSource: 'imageid', sourceImageId: ' 0123456789AB ' }).sourceImage).toEqual({
            kind: 'imageid',
            imageId: '0123456789ab',
        });
    });

    it('trims and lowercases the region', () => {
        expect(parse({ regionName: '  EU-West-1 ' }).regionName).toBe('eu-west-1');
    });

    it('applies naming conventions when forced', () => {
        const inputs = parse({ repositoryName: 'Team/My.App_Name', forceDockerNamingConventions: 'true' });
        expect(inputs.repositoryName).toBe('team/my.app_name');
        expect(inputs.requestedRepositoryName).toBe('Team/My.App_Name');
    });

    it('reads several push tags', () => {
        expect(parse({ pushTag: '1.2.3\nlatest, stable' }).pushTags).toEqual(['1.2.3', 'latest', 'stable']);
    });

    it.each([
        [{ repositoryName: 'My-App' }, /repositoryName is 'My-App'.*uppercase.*forceDockerNamingConventions/],
        [{ repositoryName: 'my app' }, /repositoryName is 'my app', which is not a valid ECR repository name/],
        [{ repositoryName: 'a..b' }, /repositoryName is 'a..b'/],
        [{ repositoryName: 'a' }, /repositoryName is 'a', which has a length of 1\..*2 to 256/],
        [{ repositoryName: 'a'.repeat(257) }, /which has a length of 257\./],
        [{ repositoryName: '/app' }, /repositoryName is '\/app'/],
        [{ repositoryName: '' }, /repositoryName is empty/],
        [{ repositoryName: 'A..B', forceDockerNamingConventions: 'true' }, /'A..B', which becomes 'a..b'/],
        [{ pushTag: '-x' }, /pushTag is '-x', which is not a valid tag/],
        [{ pushTag: 'a'.repeat(129) }, /pushTag is 'a{129}', which is longer than the 128 characters/],
        [{ pushTag: 'a:b' }, /pushTag is 'a:b', which looks like a whole image reference/],
        [{ pushTag: '123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:tag' }, /Give only the tag/],
        [{ sourceImageTag: '-x' }, /sourceImageTag is '-x'/],
        [{ imageSource: 'imageName' }, /imageSource is 'imageName', which is not a valid option. Use one of: imagename, imageid/],
        [{ sourceImageName: '' }, /sourceImageName is empty/],
        [{ sourceImageName: 'app:1.0' }, /sourceImageName is 'app:1.0'.*put the tag in sourceImageTag/],
        [{ imageSource: 'imageid' }, /sourceImageId is empty/],
        [{ imageSource: 'imageid', sourceImageId: 'abc' }, /sourceImageId is 'abc', which is not a valid image ID/],
        [{ regionName: 'us east 1' }, /regionName is 'us east 1'/],
        [{ outputVariable: 'bad name' }, /outputVariable is 'bad name'/],
    ])('rejects %j', (values, expected) => {
        expect(messageOf(values)).toMatch(expected);
    });

    it('reports one line per error', () => {
        expect(messageOf({ repositoryName: 'Bad Name' })).not.toContain('\n');
    });
});
