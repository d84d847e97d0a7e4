import { TaskError } from './errors';
import { isRegionCode } from './region';
import { parseRepositorySettings, type RepositorySettings } from './repository-settings';
import {
    DEFAULT_TAG,
    checkRepositoryName,
    checkTag,
    isValidImageId,
    parseTagList,
    toDockerRepositoryName,
} from './naming';

/**
 * The image to push, as the pipeline author identified it: a local image by
 * name or ID, or an image already in the target ECR repository, by tag or digest.
 */
export type SourceImage =
    | { readonly kind: 'imagename'; readonly name: string; readonly tag: string }
    | { readonly kind: 'imageid'; readonly imageId: string }
    | { readonly kind: 'ecrimage'; readonly tag?: string; readonly digest?: string };

/** Every task input, read and validated once before any side effect. */
export interface TaskInputs {
    readonly serviceConnection: string | undefined;
    readonly regionName: string | undefined;
    readonly sourceImage: SourceImage;
    /** Repository name as given in the input, before naming conventions. */
    readonly requestedRepositoryName: string;
    /** Repository name to push into, after naming conventions when they are on. */
    readonly repositoryName: string;
    readonly pushTags: readonly string[];
    readonly autoCreateRepository: boolean;
    readonly forceDockerNamingConventions: boolean;
    readonly removeDockerImage: boolean;
    readonly outputVariable: string | undefined;
    readonly logRequest: boolean;
    readonly logResponse: boolean;
    /** The AWS account ID of the target registry; the caller's own registry when unset. */
    readonly registryId: string | undefined;
    /** Settings applied when the task creates the repository. */
    readonly repositorySettings: RepositorySettings;
}

/** Returns the raw value of a task input, or undefined when it is not set. */
export type InputSource = (name: string) => string | undefined;

const IMAGE_SOURCES = ['imagename', 'imageid', 'ecrimage'] as const;
const REGISTRY_ID_PATTERN = /^[0-9]{12}$/;
const DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;
const VARIABLE_NAME_PATTERN = /^[A-Za-z0-9_.-]+$/;

/**
 * Reads every input through `read` and validates it; throws TaskError on the
 * first invalid one. `readFile` reads the policy files the inputs name.
 */
export function parseInputs(read: InputSource, readFile: (path: string) => string): TaskInputs {
    const text = (name: string): string => (read(name) ?? '').trim();
    const flag = (name: string): boolean => text(name).toLowerCase() === 'true';

    const forceDockerNamingConventions = flag('forceDockerNamingConventions');
    const requestedRepositoryName = text('repositoryName');
    const repositoryName = parseRepositoryName(requestedRepositoryName, forceDockerNamingConventions);

    const outputVariable = text('outputVariable') || undefined;
    if (outputVariable !== undefined && !VARIABLE_NAME_PATTERN.test(outputVariable)) {
        throw new TaskError('InvalidOutputVariable', outputVariable);
    }

    const regionName = text('regionName').toLowerCase() || undefined;
    if (regionName !== undefined && !isRegionCode(regionName)) {
        throw new TaskError('InvalidRegionInput', regionName);
    }

    const registryId = text('registryId') || undefined;
    if (registryId !== undefined && !REGISTRY_ID_PATTERN.test(registryId)) {
        throw new TaskError('InvalidRegistryId', registryId);
    }

    return {
        serviceConnection: text('awsCredentials') || undefined,
        regionName,
        sourceImage: parseSourceImage(text),
        requestedRepositoryName,
        repositoryName,
        pushTags: parsePushTags(read('pushTag') ?? ''),
        autoCreateRepository: flag('autoCreateRepository'),
        forceDockerNamingConventions,
        removeDockerImage: flag('removeDockerImage'),
        outputVariable,
        logRequest: flag('logRequest'),
        logResponse: flag('logResponse'),
        registryId,
        repositorySettings: parseRepositorySettings(read, readFile),
    };
}

function parseSourceImage(text: (name: string) => string): SourceImage {
    const imageSource = text('imageSource') || 'imagename';
    if (!(IMAGE_SOURCES as readonly string[]).includes(imageSource)) {
        throw new TaskError('InvalidImageSource', imageSource, IMAGE_SOURCES.join(', '));
    }

    if (imageSource === 'ecrimage') {
        const reference = text('sourceEcrImage');
        if (!reference) {
            throw new TaskError('MissingSourceEcrImage');
        }
        if (reference.startsWith('sha256:')) {
            if (!DIGEST_PATTERN.test(reference)) {
                throw new TaskError('InvalidSourceEcrImageDigest', reference);
            }
            return { kind: 'ecrimage', digest: reference };
        }
        const violation = checkTag(reference);
        if (violation) {
            throw new TaskError(tagViolationKey(violation), 'sourceEcrImage', reference);
        }
        return { kind: 'ecrimage', tag: reference };
    }

    if (imageSource === 'imageid') {
        const imageId = text('sourceImageId').toLowerCase();
        if (!imageId) {
            throw new TaskError('MissingSourceImageId');
        }
        if (!isValidImageId(imageId)) {
            throw new TaskError('InvalidSourceImageId', imageId);
        }
        return { kind: 'imageid', imageId };
    }

    const name = text('sourceImageName');
    if (!name) {
        throw new TaskError('MissingSourceImageName');
    }
    const lastSegment = name.slice(name.lastIndexOf('/') + 1);
    if (/\s/.test(name) || lastSegment.includes(':') || lastSegment.includes('@')) {
        throw new TaskError('InvalidSourceImageName', name);
    }
    const tag = text('sourceImageTag') || DEFAULT_TAG;
    const violation = checkTag(tag);
    if (violation) {
        throw new TaskError(tagViolationKey(violation), 'sourceImageTag', tag);
    }
    return { kind: 'imagename', name, tag };
}

function parseRepositoryName(requested: string, forceDockerNamingConventions: boolean): string {
    if (!requested) {
        throw new TaskError('MissingRepositoryName');
    }
    const name = forceDockerNamingConventions ? toDockerRepositoryName(requested) : requested;
    const violation = checkRepositoryName(name);
    if (violation === undefined) {
        return name;
    }
    if (forceDockerNamingConventions) {
        throw new TaskError('InvalidRepositoryNameAfterConventions', requested, name);
    }
    if (violation === 'uppercase') {
        throw new TaskError('InvalidRepositoryNameUppercase', requested);
    }
    if (violation === 'length') {
        throw new TaskError('InvalidRepositoryNameLength', requested, requested.length);
    }
    throw new TaskError('InvalidRepositoryNamePattern', requested);
}

function parsePushTags(value: string): string[] {
    const tags = parseTagList(value);
    for (const tag of tags) {
        const violation = checkTag(tag);
        if (violation) {
            throw new TaskError(tagViolationKey(violation), 'pushTag', tag);
        }
    }
    return tags;
}

function tagViolationKey(violation: NonNullable<ReturnType<typeof checkTag>>): string {
    switch (violation) {
        case 'reference':
            return 'InvalidTagReference';
        case 'length':
            return 'InvalidTagLength';
        case 'pattern':
            return 'InvalidTagPattern';
    }
}
