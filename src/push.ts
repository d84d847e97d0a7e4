import type { DockerCli, PushResult } from './docker';
import { PushFailure } from './docker';
import type { PrivateDockerConfig } from './docker-config';
import type { EcrGateway, RemoteImage } from './ecr';
import { TaskError, describeError } from './errors';
import type { SourceImage, TaskInputs } from './inputs';
import type { Logger } from './logger';
import { formatImageReference } from './naming';
import { handledLater, optional } from './optional-calls';
import { tagRemoteImage } from './promote';
import { openRegistrySession, type RegistrySession } from './registry-session';
import { lookUpRepository, prepareRepository } from './repository';
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

export interface Target {
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

    // The token, the repository and the target tags are looked up at once, because
    // these lookups are read-only and none of them needs the result of another.
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
    const session = local ? openRegistrySession(local.dockerPath, authorization, deps) : undefined;
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
    // A local image's size is known without another AWS call, so ECR is asked only for an image already there.
    let sizeBytes = local?.sizeBytes;
    if (!local && digest) {
        sizeBytes = await findImageSize(aws.ecr, inputs.repositoryName, digest, logger);
    }
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
