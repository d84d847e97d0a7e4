import type { EcrGateway } from './ecr';
import { TaskError } from './errors';
import type { TaskInputs } from './inputs';
import type { Logger } from './logger';
import { optional } from './optional-calls';
import { hasCustomSettings } from './repository-settings';
import type { RepositoryDescription } from './tag-mutability';

/**
 * Describes the target repository. Without autoCreateRepository the call is
 * optional: when the credentials may not describe repositories, the push goes
 * on and reports a missing repository itself.
 */
export async function lookUpRepository(inputs: TaskInputs, ecr: EcrGateway, logger: Logger): Promise<RepositoryDescription | undefined | 'denied'> {
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
export async function prepareRepository(
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
