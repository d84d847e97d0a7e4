import { loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';
import * as tl from 'azure-pipelines-task-lib/task';

import { TaskError } from './errors';
import { instanceMetadataEndpoint, readInstanceRegion } from './instance-metadata';

/** Source of the region; the sources are tried in this order. */
export type RegionSource =
    | 'input'
    | 'variable'
    | 'AWS_REGION'
    | 'AWS_DEFAULT_REGION'
    | 'profile'
    | 'instance-metadata';

export interface ResolvedRegion {
    readonly region: string;
    readonly source: RegionSource;
}

export interface RegionLookups {
    /** The regionName input, already trimmed and lowercased. */
    readonly input: string | undefined;
    /** The AWS.Region task variable. */
    readonly variable: string | undefined;
    readonly env: NodeJS.ProcessEnv;
    readonly profileRegion: () => Promise<string | undefined>;
    readonly instanceRegion: () => Promise<string | undefined>;
}

/** Region codes such as us-east-1, us-gov-west-1 or eu-isoe-west-1. */
const REGION_PATTERN = /^[a-z]{2,}(?:-[a-z0-9]+)+$/;

export function isRegionCode(value: string): boolean {
    return REGION_PATTERN.test(value);
}

/** Returns the first region found, trying the sources in a fixed order. */
export async function resolveRegion(lookups: RegionLookups): Promise<ResolvedRegion> {
    const clean = (value: string | undefined): string | undefined => value?.trim().toLowerCase() || undefined;

    const immediate: [RegionSource, string | undefined][] = [
        ['input', clean(lookups.input)],
        ['variable', clean(lookups.variable)],
        ['AWS_REGION', clean(lookups.env.AWS_REGION)],
        ['AWS_DEFAULT_REGION', clean(lookups.env.AWS_DEFAULT_REGION)],
    ];
    for (const [source, region] of immediate) {
        if (region) {
            return checked({ region, source });
        }
    }

    const profileRegion = clean(await lookups.profileRegion());
    if (profileRegion) {
        return checked({ region: profileRegion, source: 'profile' });
    }

    const instanceRegion = clean(await lookups.instanceRegion());
    if (instanceRegion) {
        return checked({ region: instanceRegion, source: 'instance-metadata' });
    }

    throw new TaskError('RegionNotFound');
}

function checked(resolved: ResolvedRegion): ResolvedRegion {
    if (!isRegionCode(resolved.region)) {
        throw new TaskError('InvalidRegion', resolved.region, describeRegionSource(resolved.source));
    }
    return resolved;
}

const REGION_SOURCE_MESSAGES: Record<RegionSource, string> = {
    input: 'RegionSourceInput',
    variable: 'RegionSourceVariable',
    AWS_REGION: 'RegionSourceAwsRegion',
    AWS_DEFAULT_REGION: 'RegionSourceAwsDefaultRegion',
    profile: 'RegionSourceProfile',
    'instance-metadata': 'RegionSourceInstanceMetadata',
};

/** Returns where a region came from, as a localized phrase for the log. */
export function describeRegionSource(source: RegionSource): string {
    return tl.loc(REGION_SOURCE_MESSAGES[source]);
}

/** Reads the region of the active profile (AWS_PROFILE, else "default") from the shared config files. */
export async function readProfileRegion(env: NodeJS.ProcessEnv): Promise<string | undefined> {
    const profile = env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE || 'default';
    try {
        const files = await loadSharedConfigFiles();
        return files.configFile?.[profile]?.region || files.credentialsFile?.[profile]?.region;
    } catch {
        return undefined;
    }
}

/** Builds the lookups of a real agent: task variable, process environment, profile, instance metadata. */
export function agentRegionLookups(
    input: string | undefined,
    variable: string | undefined,
    env: NodeJS.ProcessEnv,
    debug: (message: string) => void,
): RegionLookups {
    return {
        input,
        variable,
        env,
        profileRegion: () => readProfileRegion(env),
        instanceRegion: async () => {
            const endpoint = instanceMetadataEndpoint(env);
            return endpoint ? readInstanceRegion({ endpoint, debug }) : undefined;
        },
    };
}
