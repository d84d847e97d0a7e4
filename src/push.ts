import type { DockerCli, PushResult } from './docker';
import { PushFailure } from './docker';
import type { PrivateDockerConfig } from './docker-config';
import type { EcrGateway, RepositoryOutcome } from './ecr';
import { TaskError, describeError } from './errors';
import type { SourceImage, TaskInputs } from './inputs';
import type { Logger } from './logger';
import { formatImageReference } from './naming';

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
}

export interface PushedImage {
    readonly reference: string;
    readonly tag: string;
    readonly digest: string | undefined;
    readonly size: number | undefined;
}

export interface PushOutcome {
    readonly registryHost: string;
    readonly repositoryName: string;
    readonly repository: RepositoryOutcome | 'not-checked';
    readonly images: readonly PushedImage[];
    readonly imageRemoved: boolean;
}

/** Pushes the local image to ECR, from finding docker to the closing log line. */
export async function runPush(inputs: TaskInputs, deps: PushDependencies): Promise<PushOutcome> {
    const { logger } = deps;

    if (inputs.forceDockerNamingConventions && inputs.repositoryName !== inputs.requestedRepositoryName) {
        logger.info(logger.loc('RepositoryNameConverted', inputs.requestedRepositoryName, inputs.repositoryName));
    }

    const dockerPath = deps.findDocker();
    logger.debug(`Using docker at ${dockerPath}`);
    const localDocker = deps.docker(dockerPath);

    const sourceReference = describeSource(inputs.sourceImage);
    logger.info(logger.loc('InspectingSourceImage', sourceReference));
    const imageId = await localDocker.inspectImage(sourceReference);
    logger.debug(`Source image ID: ${imageId}`);

    const aws = await deps.connectToAws();
    logger.info(logger.loc('UsingCredentials', aws.credentialSource));
    logger.info(logger.loc('UsingRegion', aws.region, aws.regionSource));

    logger.info(logger.loc('RequestingAuthorization'));
    const authorization = await aws.ecr.getAuthorization();
    const registryHost = authorization.registryHost;
    logger.info(logger.loc('RegistryFound', registryHost));

    let repository: PushOutcome['repository'] = 'not-checked';
    if (inputs.autoCreateRepository) {
        repository = await aws.ecr.ensureRepository(inputs.repositoryName);
        logger.info(logger.loc(repository === 'created' ? 'RepositoryCreated' : 'RepositoryExists', inputs.repositoryName));
    }

    const targets = inputs.pushTags.map((tag) => ({ tag, reference: formatImageReference(registryHost, inputs.repositoryName, tag) }));
    for (const target of targets) {
        logger.info(logger.loc('TaggingImage', sourceReference, target.reference));
        await localDocker.tag(imageId, target.reference);
    }

    const dockerConfig = deps.createDockerConfig();
    const images: PushedImage[] = [];
    try {
        const registryDocker = deps.docker(dockerPath, dockerConfig.directory);
        logger.info(logger.loc('LoggingIn', authorization.proxyEndpoint));
        await registryDocker.login(authorization.proxyEndpoint, authorization.username, authorization.password);

        for (const target of targets) {
            logger.info(logger.loc('PushingImage', target.reference));
            const result = await pushOne(registryDocker, target.reference, inputs, registryHost);
            images.push({ ...target, ...result });
        }
    } finally {
        dockerConfig.remove();
    }

    if (inputs.outputVariable) {
        const value = images[0].reference;
        deps.setVariable(inputs.outputVariable, value, false);
        deps.setVariable(inputs.outputVariable, value, true);
        logger.info(logger.loc('OutputVariableSet', inputs.outputVariable, value));
    }

    let imageRemoved = false;
    if (inputs.removeDockerImage) {
        imageRemoved = await removeLocalImage(localDocker, imageId, logger);
    }

    const digest = images.find((image) => image.digest)?.digest ?? 'unknown';
    logger.info(logger.loc('PushSucceeded', images.map((image) => image.reference).join(', '), digest));
    return { registryHost, repositoryName: inputs.repositoryName, repository, images, imageRemoved };
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

async function removeLocalImage(docker: DockerCli, imageId: string, logger: Logger): Promise<boolean> {
    logger.info(logger.loc('RemovingImage', imageId));
    try {
        await docker.removeImage(imageId);
        return true;
    } catch (error) {
        // The push already succeeded, so a failed clean-up must not fail the task.
        logger.warning(logger.loc('RemoveImageFailed', imageId, describeError(error)));
        return false;
    }
}

/** Returns the reference docker knows the source image by. */
export function describeSource(source: SourceImage): string {
    return source.kind === 'imageid' ? source.imageId : `${source.name}:${source.tag}`;
}
