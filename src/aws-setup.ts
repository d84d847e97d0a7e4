import * as tl from 'azure-pipelines-task-lib/task';

import { serviceEndpoint } from './aws-client';
import { type CredentialVariables, planCredentials, type ServiceConnection } from './credential-plan';
import { resolveCredentials } from './credentials';
import { createEcrGateway } from './ecr';
import { TaskError } from './errors';
import type { TaskInputs } from './inputs';
import type { Logger } from './logger';
import { requestOidcToken } from './oidc';
import { chooseProxy, createProxyAgent, createRequestHandler, type ProxyChoice } from './proxy';
import type { AwsConnection } from './push';
import { agentRegionLookups, describeRegionSource, resolveRegion } from './region';
import { TASK_VERSION } from './version';

/**
 * Connects the task to AWS as a real agent run does: region, proxy and
 * credentials from the task inputs, pipeline variables and the agent's
 * environment, in the order the task documents.
 */
export async function connectToAws(inputs: TaskInputs, logger: Logger, env: NodeJS.ProcessEnv): Promise<AwsConnection> {
    const registerSecret = (secret: string): void => {
        if (secret) {
            tl.setSecret(secret);
        }
    };

    // The agent passes the variable AWS.Region to the task as the environment variable
    // AWS_REGION, so this read also returns an AWS_REGION set on the agent machine. The
    // task can't tell the two apart, and its log line names both.
    const resolvedRegion = await resolveRegion(
        agentRegionLookups(inputs.regionName, tl.getVariable('AWS.Region'), env, (message) => logger.debug(message)),
    );
    const region = resolvedRegion.region;

    const ecrEndpoint = serviceEndpoint('ECR', region, env);
    const stsEndpoint = serviceEndpoint('STS', region, env);
    const ecrProxy = proxyFor(ecrEndpoint, env, registerSecret, logger);
    const stsProxy = proxyFor(stsEndpoint, env, registerSecret, logger);

    const userAgent: [string, string][] = [
        ['ecr-push-azure-pipelines', TASK_VERSION],
        ['azure-pipelines-agent', tl.getVariable('Agent.Version') || 'unknown'],
    ];

    const connection = readServiceConnection(inputs.serviceConnection);
    const decision = planCredentials({
        connection,
        // A service connection wins over the variables, so they are not read at all then:
        // the task library writes each value it reads to the debug log, and an unused key
        // would never be registered as a secret.
        variables: connection ? {} : readCredentialVariables(),
        maxDurationVariable: tl.getVariable('aws.rolecredential.maxduration'),
    });
    if (decision.rejectedMaxDuration !== undefined) {
        logger.warning(logger.loc('RoleDurationInvalid', decision.rejectedMaxDuration));
    }

    const credentials = await resolveCredentials(decision.plan, {
        region,
        stsRequestHandler: createRequestHandler(stsProxy),
        stsEndpoint,
        userAgent,
        registerSecret,
        env,
        logger,
        requestOidcToken: (connectionId) =>
            requestOidcToken({
                serviceConnectionId: connectionId,
                logger,
                job: readJobContext(registerSecret),
                agentFor: (url) => {
                    const proxy = proxyFor(url, env, registerSecret, logger);
                    return proxy ? createProxyAgent(proxy) : undefined;
                },
            }),
    });

    const ecr = createEcrGateway({
        region,
        credentials: credentials.provider,
        credentialSource: credentials.source,
        endpoint: ecrEndpoint,
        requestHandler: createRequestHandler(ecrProxy),
        registryId: inputs.registryId,
        userAgent,
        logRequest: inputs.logRequest,
        logResponse: inputs.logResponse,
        logger,
        registerSecret,
    });

    return { region, regionSource: describeRegionSource(resolvedRegion.source), credentialSource: credentials.source, ecr };
}

function proxyFor(
    url: string,
    env: NodeJS.ProcessEnv,
    registerSecret: (secret: string) => void,
    logger: Logger,
): ProxyChoice | undefined {
    const proxy = chooseProxy(url, (target) => tl.getHttpProxyConfiguration(target), env);
    if (!proxy) {
        logger.debug(`No proxy for ${url}`);
        return undefined;
    }
    if (proxy.password) {
        registerSecret(proxy.password);
        registerSecret(encodeURIComponent(proxy.password));
    }
    logger.info(logger.loc(proxy.source === 'agent' ? 'UsingAgentProxy' : 'UsingEnvironmentProxy', proxy.url, new URL(url).host));
    return proxy;
}

function readServiceConnection(id: string | undefined): ServiceConnection | undefined {
    if (!id) {
        return undefined;
    }
    const authorization = tl.getEndpointAuthorization(id, true);
    if (!authorization) {
        throw new TaskError('ServiceConnectionNotFound', id);
    }
    return { id, scheme: authorization.scheme, parameters: authorization.parameters ?? {} };
}

function readCredentialVariables(): CredentialVariables {
    return {
        accessKeyId: tl.getVariable('AWS.AccessKeyID')?.trim(),
        secretAccessKey: tl.getVariable('AWS.SecretAccessKey')?.trim(),
        sessionToken: tl.getVariable('AWS.SessionToken')?.trim(),
        assumeRoleArn: tl.getVariable('AWS.AssumeRoleArn')?.trim(),
        externalId: tl.getVariable('AWS.ExternalId')?.trim(),
        roleSessionName: tl.getVariable('AWS.RoleSessionName')?.trim(),
    };
}

function readJobContext(registerSecret: (secret: string) => void) {
    // getEndpointAuthorizationParameter would write the token to the debug log, so the
    // parameter is read from the whole endpoint authorization, which is logged only as present.
    const accessToken =
        tl.getEndpointAuthorization('SystemVssConnection', true)?.parameters?.AccessToken ||
        tl.getVariable('System.AccessToken');
    if (accessToken) {
        registerSecret(accessToken);
    }
    return {
        collectionUri: tl.getVariable('System.CollectionUri'),
        teamProjectId: tl.getVariable('System.TeamProjectId'),
        hostType: tl.getVariable('System.HostType'),
        planId: tl.getVariable('System.PlanId'),
        jobId: tl.getVariable('System.JobId'),
        accessToken,
    };
}
