import type { DockerCli, PushResult } from './docker';
import { PushFailure } from './docker';
import type { PrivateDockerConfig } from './docker-config';
import type { EcrGateway, RemoteImage } from './ecr';
import { TaskError, describeError } from './errors';
import type { SourceImage, TaskInputs } from './inputs';
import type { Logger } from './logger';
import { formatImageReference } from './naming';
import { hasCustomSettings } from './repository-settings';
import { renderSummary, type SummaryRow } from './summary';
import { isTagImmutable, type RepositoryDescription } from './tag-mutability';

/** The AWS side of a push, once credentials and region are known. */
export interface AwsConnection {
    readonly region: string;
    readonly regionSource: string;
    readonly credentialSource: string;
    readonly ecr: EcrGateway;
}

/** Everything the push workflow does to the world, passed in so that it can be replaced in tests. */
export interface PushDependencies {
    readonly logger: Logger;
    /** Returns the path of the docker CLI; throws when there is none on PATH. */
    readonly findDocker: () => string;
    /** Returns the docker CLI, with the given config directory or the user's own when none is given. */
    readonly docker: (dockerPath: string, configDirectory?: string) => DockerCli;
    readonly connectToAws: () => Promise<AwsConnection>;
    readonly createDockerConfig: () => PrivateDockerConfig;
    readonly setVariable: (name: string, value: string, isOutput: boolean) => void;
    /** Stores the markdown job summary and attaches it to the run. */
    readonly publishSummary: (markdown: string) => void;
}

/** Names of the output variables declared in task.json. */
export const OUTPUT_VARIABLES = {
    imageUri: 'imageUri',
    imageDigest: 'imageDigest',
    imageUriWithDigest: 'imageUriWithDigest',
    imageUris: 'imageUris',
} as const;

type TagAction = 'pushed' | 'already-present' | 'tagged';

const SUMMARY_ACTION_MESSAGES: Record<TagAction, string> = {
    pushed: 'SummaryActionPushed',
    'already-present': 'SummaryActionAlreadyPresent',
    tagged: 'SummaryActionTagged',
};

export interface PushedImage {
    readonly reference: string;
    readonly tag: string;
    readonly digest: string | undefined;
    readonly action: TagAction;
}

export interface PushOutcome {
    readonly registryHost: string;
    readonly repositoryName: string;
    readonly repositoryCreated: boolean;
    readonly images: readonly PushedImage[];
}

interface Target {
    readonly tag: string;
    readonly reference: string;
}

/** Pushes the image to ECR, from finding docker to the closing log line. */
export async function runPush(inputs: TaskInputs, deps: PushDependencies): Promise<PushOutcome> {
    const { logger } = deps;

    if (inputs.forceDockerNamingConventions && inputs.repositoryName !== inputs.requestedRepositoryName) {
        logger.info(logger.loc('RepositoryNameConverted', inputs.requestedRepositoryName, inputs.repositoryName));
    }

    const source = inputs.sourceImage;
    const local = source.kind === 'ecrimage' ? undefined : await inspectLocalImage(source, deps);

    const aws = await deps.connectToAws();
    logger.info(logger.loc('UsingCredentials', aws.credentialSource));
    logger.info(logger.loc('UsingRegion', aws.region, aws.regionSource));

    // The token, the repository and the target tags are looked up at once: the
    // lookups are read-only and none of them needs the others' answers.
    logger.info(logger.loc('RequestingAuthorization'));
    const authorizationRequest = aws.ecr.getAuthorization();
    const repositoryLookup = handledLater(lookUpRepository(inputs, aws.ecr, logger));
    const remoteLookups = local
        ? handledLater(Promise.all(inputs.pushTags.map((tag) => optional(() => aws.ecr.findImage(inputs.repositoryName, { tag }), logger))))
        : undefined;

    const authorization = await authorizationRequest;
    const registryHost = authorization.registryHost;
    logger.info(logger.loc('RegistryFound', registryHost));

    const targets: Target[] = inputs.pushTags.map((tag) => ({
        tag,
        reference: formatImageReference(registryHost, inputs.repositoryName, tag),
    }));

    // Logging in depends on nothing but the token, so it runs while the repository is prepared.
    const session = local ? openRegistrySession(local, authorization, deps) : undefined;
    let created: boolean;
    let images: PushedImage[];
    try {
        const prepared = await prepareRepository(inputs, aws.ecr, registryHost, logger, await repositoryLookup);
        created = prepared.created;
        images =
            source.kind === 'ecrimage'
                ? await tagRemoteImage(source, targets, prepared.repository, inputs, aws.ecr, logger)
                : await pushLocalImage(local!, session!, targets, await remoteLookups!, prepared.repository, inputs, logger, registryHost);
    } finally {
        await session?.close();
    }

    setOutputs(images, inputs, registryHost, deps);

    if (local && inputs.removeDockerImage) {
        await removeLocalImage(local.docker, local.imageId, logger);
    }

    const digest = images.find((image) => image.digest)?.digest;
    // A local image's size is known without another AWS call; ECR is asked only for an image already there.
    const sizeBytes = local ? local.sizeBytes : digest ? await findImageSize(aws.ecr, inputs.repositoryName, digest, logger) : undefined;
    const rows: SummaryRow[] = images.map((image) => ({
        reference: image.reference,
        digest: image.digest,
        sizeBytes,
        action: logger.loc(SUMMARY_ACTION_MESSAGES[image.action]),
    }));
    deps.publishSummary(
        renderSummary({
            repositoryName: inputs.repositoryName,
            registryHost,
            repositoryCreated: created,
            rows,
            sizeNote: logger.loc(local ? 'SummarySizeLocal' : 'SummarySizeEcr'),
        }),
    );

    logger.info(logger.loc('PushSucceeded', images.map((image) => image.reference).join(', '), digest ?? 'unknown'));
    return { registryHost, repositoryName: inputs.repositoryName, repositoryCreated: created, images };
}

interface LocalImage {
    readonly docker: DockerCli;
    readonly dockerPath: string;
    readonly sourceReference: string;
    readonly imageId: string;
    readonly sizeBytes: number | undefined;
}

/** A docker login into the registry with a private config, started before it is needed. */
interface RegistrySession {
    readonly docker: DockerCli;
    /** Settles when `docker login` has finished. */
    readonly loggedIn: Promise<void>;
    /** Waits for the login to finish and deletes the private config with the credentials in it. */
    close(): Promise<void>;
}

function openRegistrySession(
    local: LocalImage,
    authorization: { proxyEndpoint: string; username: string; password: string },
    deps: PushDependencies,
): RegistrySession {
    const { logger } = deps;
    const dockerConfig = deps.createDockerConfig();
    const docker = deps.docker(local.dockerPath, dockerConfig.directory);

    logger.info(logger.loc('LoggingIn', authorization.proxyEndpoint));
    const loggedIn = docker.login(authorization.proxyEndpoint, authorization.username, authorization.password);
    // A failed check may end the run before the login result is read; that rejection is not an error then.
    loggedIn.catch(() => undefined);

    return {
        docker,
        loggedIn,
        async close() {
            await loggedIn.catch(() => undefined);
            dockerConfig.remove();
        },
    };
}

async function inspectLocalImage(source: Exclude<SourceImage, { kind: 'ecrimage' }>, deps: PushDependencies): Promise<LocalImage> {
    const { logger } = deps;
    const dockerPath = deps.findDocker();
    logger.debug(`Using docker at ${dockerPath}`);
    const docker = deps.docker(dockerPath);

    const sourceReference = describeSource(source);
    logger.info(logger.loc('InspectingSourceImage', sourceReference));
    const image = await docker.inspectImage(sourceReference);
    logger.debug(`Source image ID: ${image.id}`);
    return { docker, dockerPath, sourceReference, imageId: image.id, sizeBytes: image.sizeBytes };
}

/**
 * Makes sure the repository exists: creates it when autoCreateRepository is on,
 * and otherwise fails early when ECR reports it missing. Without permission to
 * describe repositories the task goes on, and the push reports a missing repository.
 */
/**
 * Describes the target repository. Without autoCreateRepository the call is
 * optional: when the credentials may not describe repositories, the push goes
 * on and reports a missing repository itself.
 */
async function lookUpRepository(inputs: TaskInputs, ecr: EcrGateway, logger: Logger): Promise<RepositoryDescription | undefined | 'denied'> {
    if (willCreateRepository(inputs)) {
        return ecr.describeRepository(inputs.repositoryName);
    }
    return optional(() => ecr.describeRepository(inputs.repositoryName), logger);
}

/** An image to tag through the ECR API must already be in the repository, so there is nothing to create then. */
function willCreateRepository(inputs: TaskInputs): boolean {
    return inputs.autoCreateRepository && inputs.sourceImage.kind !== 'ecrimage';
}

/**
 * Makes sure the repository exists: creates it when autoCreateRepository is on,
 * and otherwise fails early when ECR reports it missing.
 */
async function prepareRepository(
    inputs: TaskInputs,
    ecr: EcrGateway,
    registryHost: string,
    logger: Logger,
    existing: RepositoryDescription | undefined | 'denied',
): Promise<{ repository: RepositoryDescription | undefined; created: boolean }> {
    if (existing === 'denied') {
        return { repository: undefined, created: false };
    }
    if (existing) {
        if (willCreateRepository(inputs)) {
            logger.info(logger.loc('RepositoryExists', inputs.repositoryName));
            if (hasCustomSettings(inputs.repositorySettings)) {
                logger.info(logger.loc('RepositorySettingsNotApplied', inputs.repositoryName));
            }
        }
        return { repository: existing, created: false };
    }
    if (!willCreateRepository(inputs)) {
        throw new TaskError('RepositoryNotFoundOnPush', inputs.repositoryName, registryHost);
    }

    const outcome = await ecr.createRepository(inputs.repositoryName, inputs.repositorySettings);
    logger.info(logger.loc(outcome === 'created' ? 'RepositoryCreated' : 'RepositoryExists', inputs.repositoryName));
    const repository = {
        name: inputs.repositoryName,
        uri: undefined,
        imageTagMutability: outcome === 'created' ? inputs.repositorySettings.imageTagMutability : undefined,
        mutabilityExclusionFilters: [],
    };
    return { repository, created: outcome === 'created' };
}

/**
 * Returns the promise after marking its rejection as handled, for a request
 * that starts now but is awaited only after another one, which may fail first.
 */
function handledLater<T>(promise: Promise<T>): Promise<T> {
    promise.catch(() => undefined);
    return promise;
}

async function pushLocalImage(
    local: LocalImage,
    session: RegistrySession,
    targets: readonly Target[],
    remotes: readonly (RemoteImage | undefined | 'denied')[],
    repository: RepositoryDescription | undefined,
    inputs: TaskInputs,
    logger: Logger,
    registryHost: string,
): Promise<PushedImage[]> {
    // Tags that already point at this image are left alone. An immutable tag
    // that points at another image would make the push fail after every layer
    // is uploaded, so that case is reported before anything is uploaded.
    const images: PushedImage[] = [];
    const toPush: Target[] = [];
    targets.forEach((target, index) => {
        const remote = remotes[index];
        if (remote && remote !== 'denied' && holdsImage(remote, local.imageId)) {
            logger.info(logger.loc('ImageAlreadyPresent', target.reference, remote.digest));
            images.push({ ...target, digest: remote.digest, action: 'already-present' });
        } else if (remote && remote !== 'denied' && repository && isTagImmutable(repository, target.tag)) {
            throw new TaskError('ImmutableTagTaken', target.tag, inputs.repositoryName, remote.digest, remote.configDigest ?? 'unknown', local.imageId);
        } else {
            toPush.push(target);
        }
    });
    if (toPush.length === 0) {
        return images;
    }

    for (const target of toPush) {
        logger.info(logger.loc('TaggingImage', local.sourceReference, target.reference));
        await local.docker.tag(local.imageId, target.reference);
    }

    await session.loggedIn;
    for (const target of toPush) {
        logger.info(logger.loc('PushingImage', target.reference));
        const result = await pushOne(session.docker, target.reference, inputs, registryHost);
        images.push({ ...target, digest: result.digest, action: 'pushed' });
    }

    // Keep the order of the pushTag input in outputs and the summary.
    return targets.map((target) => images.find((image) => image.tag === target.tag)!);
}

/** Tells whether a remote image is the local image: docker's image ID is the config digest, or the manifest digest with the containerd image store. */
function holdsImage(remote: RemoteImage, imageId: string): boolean {
    return remote.configDigest === imageId || remote.digest === imageId;
}

async function tagRemoteImage(
    source: Extract<SourceImage, { kind: 'ecrimage' }>,
    targets: readonly Target[],
    repository: RepositoryDescription | undefined,
    inputs: TaskInputs,
    ecr: EcrGateway,
    logger: Logger,
): Promise<PushedImage[]> {
    const selector = source.digest !== undefined ? { digest: source.digest } : { tag: source.tag! };
    const sourceLabel = source.digest ?? source.tag!;
    logger.info(logger.loc('FindingEcrImage', sourceLabel, inputs.repositoryName));

    const image = await ecr.findImage(inputs.repositoryName, selector);
    if (!image) {
        throw new TaskError('SourceEcrImageNotFound', sourceLabel, inputs.repositoryName);
    }

    // Every tag is checked before any is moved, so that an immutable tag
    // pointing at another image fails the run with no tag changed.
    for (const target of targets) {
        const current = await optional(() => ecr.findImage(inputs.repositoryName, { tag: target.tag }), logger);
        if (current && current !== 'denied' && current.digest !== image.digest && repository && isTagImmutable(repository, target.tag)) {
            throw new TaskError('ImmutableTagTakenInEcr', target.tag, inputs.repositoryName, current.digest, image.digest);
        }
    }

    const images: PushedImage[] = [];
    for (const target of targets) {
        const result = await ecr.tagImage(inputs.repositoryName, image, target.tag);
        logger.info(logger.loc(result === 'tagged' ? 'EcrImageTagged' : 'ImageAlreadyPresent', target.reference, image.digest));
        images.push({ ...target, digest: image.digest, action: result === 'tagged' ? 'tagged' : 'already-present' });
    }
    return images;
}

async function pushOne(docker: DockerCli, reference: string, inputs: TaskInputs, registryHost: string): Promise<PushResult> {
    try {
        return await docker.push(reference);
    } catch (error) {
        if (error instanceof PushFailure && error.reason === 'repository-missing') {
            throw new TaskError('RepositoryNotFoundOnPush', inputs.repositoryName, registryHost);
        }
        throw error;
    }
}

function setOutputs(images: readonly PushedImage[], inputs: TaskInputs, registryHost: string, deps: PushDependencies): void {
    const { logger } = deps;
    const first = images[0];

    if (inputs.outputVariable) {
        // The original task set a plain job variable; the output form adds $(step.name) and other jobs and stages.
        deps.setVariable(inputs.outputVariable, first.reference, false);
        deps.setVariable(inputs.outputVariable, first.reference, true);
        logger.info(logger.loc('OutputVariableSet', inputs.outputVariable, first.reference));
    }

    deps.setVariable(OUTPUT_VARIABLES.imageUri, first.reference, true);
    deps.setVariable(OUTPUT_VARIABLES.imageUris, images.map((image) => image.reference).join(','), true);
    if (first.digest) {
        deps.setVariable(OUTPUT_VARIABLES.imageDigest, first.digest, true);
        deps.setVariable(OUTPUT_VARIABLES.imageUriWithDigest, `${registryHost}/${inputs.repositoryName}@${first.digest}`, true);
    }
}

async function removeLocalImage(docker: DockerCli, imageId: string, logger: Logger): Promise<void> {
    logger.info(logger.loc('RemovingImage', imageId));
    try {
        await docker.removeImage(imageId);
    } catch (error) {
        // The push already succeeded, so a failed clean-up must not fail the task.
        logger.warning(logger.loc('RemoveImageFailed', imageId, describeError(error)));
    }
}

/**
 * Runs an ECR call the task can do without: when the credentials lack the
 * permission, it returns 'denied' and the task goes on.
 */
async function optional<T>(call: () => Promise<T>, logger: Logger): Promise<T | 'denied'> {
    try {
        return await call();
    } catch (error) {
        if (error instanceof TaskError && error.messageKey === 'AwsAccessDenied') {
            logger.debug(`Skipping an optional check: ${error.message}`);
            return 'denied';
        }
        throw error;
    }
}

/** Looks up the image size for the job summary. The push has already succeeded, so a failed lookup only leaves the size unknown. */
async function findImageSize(ecr: EcrGateway, repositoryName: string, digest: string, logger: Logger): Promise<number | undefined> {
    try {
        return await ecr.imageSize(repositoryName, digest);
    } catch (error) {
        logger.debug(`The job summary shows no image size, because ecr:DescribeImages failed: ${describeError(error)}`);
        return undefined;
    }
}

/** Returns the reference that names the source image for docker. */
export function describeSource(source: Exclude<SourceImage, { kind: 'ecrimage' }>): string {
    return source.kind === 'imageid' ? source.imageId : `${source.name}:${source.tag}`;
}
