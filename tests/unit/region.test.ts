import { TaskError } from '../../src/errors';
import { resolveRegion, type RegionLookups } from '../../src/region';
import { loadTaskMessages } from './task-messages';

beforeAll(loadTaskMessages);

function lookups(values: Partial<Omit<RegionLookups, 'profileRegion' | 'instanceRegion'>> & { profile?: string; instance?: string }): RegionLookups {
    return {
        input: values.input,
        variable: values.variable,
        env: values.env ?? {},
        profileRegion: async () => values.profile,
        instanceRegion: async () => values.instance,
    };
}

describe('resolveRegion', () => {
    it.each([
        [{ input: 'eu-west-1', variable: 'us-east-2', env: { AWS_REGION: 'ap-south-1' } }, 'eu-west-1', 'input'],
        [{ variable: ' US-East-2 ', env: { AWS_REGION: 'ap-south-1' } }, 'us-east-2', 'variable'],
        [{ env: { AWS_REGION: 'ap-south-1', AWS_DEFAULT_REGION: 'eu-north-1' } }, 'ap-south-1', 'AWS_REGION'],
        [{ env: { AWS_DEFAULT_REGION: 'eu-north-1' }, profile: 'sa-east-1' }, 'eu-north-1', 'AWS_DEFAULT_REGION'],
        [{ profile: 'sa-east-1', instance: 'ca-central-1' }, 'sa-east-1', 'profile'],
        [{ instance: 'ca-central-1' }, 'ca-central-1', 'instance-metadata'],
    ])('picks the first source of %j', async (values, region, source) => {
        await expect(resolveRegion(lookups(values))).resolves.toEqual({ region, source });
    });

    it('fails with the sources it tried', async () => {
        const attempt = resolveRegion(lookups({}));
        await expect(attempt).rejects.toBeInstanceOf(TaskError);
        await expect(resolveRegion(lookups({}))).rejects.toThrow(/regionName input, the AWS.Region variable, the AWS_REGION/);
    });

    it('rejects a value that is not a region code', async () => {
        await expect(resolveRegion(lookups({ variable: 'Frankfurt please' }))).rejects.toThrow(/'frankfurt please' from the AWS.Region variable/);
    });

    it('does not ask instance metadata when another source answers', async () => {
        const instanceRegion = jest.fn(async () => 'us-west-2');
        await resolveRegion({ ...lookups({ env: { AWS_REGION: 'eu-west-3' } }), instanceRegion });
        expect(instanceRegion).not.toHaveBeenCalled();
    });
});
