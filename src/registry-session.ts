import type { DockerCli } from './docker';
import type { PushDependencies } from './push';

/** A docker login into the registry with a private config, started before it is needed. */
export interface RegistrySession {
    readonly docker: DockerCli;
    /** Settles when `docker login` has finished. */
    readonly loggedIn: Promise<void>;
    /** Waits for the login to finish and deletes the private config with the credentials in it. */
    close(): Promise<void>;
}

/** Starts `docker login` into the registry with a new private docker config. */
export function openRegistrySession(
    dockerPath: string,
    authorization: { proxyEndpoint: string; username: string; password: string },
    deps: Pick<PushDependencies, 'logger' | 'createDockerConfig' | 'docker'>,
): RegistrySession {
    const { logger } = deps;
    const dockerConfig = deps.createDockerConfig();
    const docker = deps.docker(dockerPath, dockerConfig.directory);

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
