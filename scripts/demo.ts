/**
 * The main job, end to end on this machine: a real push of a sample image
 * through the built task (dist/ECRPushImage/index.js) into a real registry,
 * with AWS played by the local emulator. Starts a Docker engine and a registry
 * unless ECR_TEST_SERVICES names running ones, and stops what it started.
 *
 * Usage: npm run demo
 */
import { AwsEmulator } from '../tests/emulator';
import { SERVICE_ENVIRONMENT, readStateFile, startServices, stopServices, type ServiceState } from '../tests/rig/services';
import { createImage, removeImage } from '../tests/support/images';
import { RegistryClient } from '../tests/support/registry-client';
import { runTask } from '../tests/support/run-task';

const REPOSITORY = 'demo/sample-app';
const SOURCE_IMAGE = 'sample-app';
const SOURCE_TAG = `demo-${Date.now()}`;

async function main(): Promise<void> {
    const stateFile = process.env[SERVICE_ENVIRONMENT.stateFile];
    console.log(stateFile ? `Using the engine and registry of ${stateFile}` : 'Starting a Docker engine and a registry in temporary folders');
    const services: ServiceState = stateFile ? readStateFile(stateFile) : await startServices();
    let emulator: AwsEmulator | undefined;

    try {
        process.env[SERVICE_ENVIRONMENT.dockerHost] = services.dockerHost;
        emulator = await AwsEmulator.start({ registryUrl: services.registry.url, registryPassword: services.registry.password });
        const user = emulator.addCredentials({ label: 'demo user' });
        console.log(`AWS emulator on ${emulator.url}, registry ${services.registry.url} behind ${emulator.registryFrontUrl}`);

        const imageId = await createImage(services.dockerHost, `${SOURCE_IMAGE}:${SOURCE_TAG}`, 1024 * 1024);
        console.log(`Built ${SOURCE_IMAGE}:${SOURCE_TAG} (${imageId}), 1 MB`);
        console.log('Running the task:\n');

        const run = await runTask({
            inputs: {
                regionName: 'eu-west-1',
                imageSource: 'imagename',
                sourceImageName: SOURCE_IMAGE,
                sourceImageTag: SOURCE_TAG,
                repositoryName: REPOSITORY,
                pushTag: `${SOURCE_TAG}\nlatest`,
                autoCreateRepository: 'true',
                removeDockerImage: 'true',
                outputVariable: 'pushedImage',
            },
            env: {
                AWS_ENDPOINT_URL_ECR: emulator.url,
                AWS_ACCESS_KEY_ID: user.accessKeyId,
                AWS_SECRET_ACCESS_KEY: user.secretAccessKey,
            },
        });

        // Show what the agent would: the log lines, masked, without the ##vso commands.
        const log = run
            .maskedOutput()
            .split('\n')
            .filter((line) => line.length > 0 && !line.startsWith('##vso['));
        console.log(log.map((line) => `  | ${line}`).join('\n'));
        run.cleanup();

        if (run.result?.result !== 'Succeeded') {
            throw new Error(`The task ended with ${run.result?.result ?? 'no result'}: ${run.result?.message ?? run.output}`);
        }

        const reference = run.variables.find((variable) => variable.name === 'pushedImage')?.value;
        const digest = run.variables.find((variable) => variable.name === 'imageDigest')?.value;
        const registry = new RegistryClient({ url: services.registry.url, password: services.registry.password });
        const stored = await registry.resolveDigest(REPOSITORY, SOURCE_TAG);
        if (!reference || !digest || stored !== digest) {
            throw new Error(`The registry contains ${stored ?? 'nothing'} for ${REPOSITORY}:${SOURCE_TAG}, but the task reported ${digest ?? 'no digest'}`);
        }

        console.log(`\nPushed image reference: ${reference}`);
        console.log(`Digest: ${digest} (the registry contains the same manifest)`);
    } finally {
        await removeImage(services.dockerHost, `${SOURCE_IMAGE}:${SOURCE_TAG}`, { force: true }).catch(() => undefined);
        await emulator?.stop();
        if (!stateFile) {
            await stopServices(services);
            console.log('Stopped the engine and the registry');
        }
    }
}

main().catch((error: unknown) => {
    console.error(`Demo failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
});
