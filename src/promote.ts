import type { EcrGateway } from './ecr';
import { TaskError } from './errors';
import type { SourceImage, TaskInputs } from './inputs';
import type { Logger } from './logger';
import { optional } from './optional-calls';
import type { PushedImage, Target } from './push';
import { isTagImmutable, type RepositoryDescription } from './tag-mutability';

/**
 * Adds the target tags to an image already in the repository through
 * BatchGetImage and PutImage, so no docker is needed.
 */
export async function tagRemoteImage(
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
