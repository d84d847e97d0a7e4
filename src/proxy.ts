import type { Agent, ClientRequest } from 'node:http';
import type { Socket } from 'node:net';

import { NodeHttpHandler } from '@smithy/node-http-handler';
import { HttpsProxyAgent } from 'https-proxy-agent';

import { TaskError } from './errors';

/** The proxy configuration of the agent for one URL, as azure-pipelines-task-lib reports it. */
export interface AgentProxyConfiguration {
    readonly proxyUrl: string;
    readonly proxyUsername?: string;
    readonly proxyPassword?: string;
}

/** A proxy chosen for one endpoint. */
export interface ProxyChoice {
    /** Proxy URL without credentials, safe to log. */
    readonly url: string;
    readonly username?: string;
    readonly password?: string;
    readonly source: 'agent' | 'environment';
}

/**
 * Chooses the proxy for `targetUrl`: the agent's proxy when it applies (the
 * task library already honours the agent's bypass list), else HTTPS_PROXY or
 * HTTP_PROXY from the environment unless NO_PROXY matches the host.
 */
export function chooseProxy(
    targetUrl: string,
    agentProxy: (url: string) => AgentProxyConfiguration | null,
    env: NodeJS.ProcessEnv,
): ProxyChoice | undefined {
    const agent = agentProxy(targetUrl);
    if (agent?.proxyUrl) {
        return {
            url: stripCredentials(agent.proxyUrl),
            username: agent.proxyUsername || undefined,
            password: agent.proxyPassword || undefined,
            source: 'agent',
        };
    }

    const target = new URL(targetUrl);
    const fromEnv =
        target.protocol === 'https:'
            ? env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy
            : env.HTTP_PROXY || env.http_proxy;
    if (!fromEnv || isBypassed(target, env.NO_PROXY ?? env.no_proxy ?? '')) {
        return undefined;
    }
    const proxy = new URL(fromEnv);
    return {
        url: stripCredentials(fromEnv),
        username: proxy.username ? decodeURIComponent(proxy.username) : undefined,
        password: proxy.password ? decodeURIComponent(proxy.password) : undefined,
        source: 'environment',
    };
}

/**
 * Tells whether a NO_PROXY list matches the target. Entries are host names
 * (matching the host and its subdomains), `.suffix` or `*.suffix`, an optional
 * `:port`, or `*` for every host.
 */
export function isBypassed(target: URL, noProxy: string): boolean {
    const host = target.hostname.toLowerCase().replace(/^\[|\]$/g, '');
    const port = target.port || (target.protocol === 'https:' ? '443' : '80');

    return noProxy
        .split(/[,\s]+/)
        .map((entry) => entry.trim().toLowerCase())
        .filter((entry) => entry.length > 0)
        .some((entry) => {
            if (entry === '*') {
                return true;
            }
            const [entryHost, entryPort] = splitHostPort(entry);
            if (entryPort && entryPort !== port) {
                return false;
            }
            const suffix = entryHost.replace(/^\*?\./, '');
            return host === suffix || host.endsWith(`.${suffix}`);
        });
}

function splitHostPort(entry: string): [string, string | undefined] {
    const match = /^(.*?)(?::(\d+))?$/.exec(entry);
    return match ? [match[1], match[2]] : [entry, undefined];
}

function stripCredentials(proxyUrl: string): string {
    const url = new URL(proxyUrl);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
}

type ConnectOptions = Parameters<HttpsProxyAgent<string>['connect']>[1];

/**
 * A CONNECT tunnel agent that fails the request with a TaskError when the proxy
 * rejects the tunnel. https-proxy-agent 7 would instead hand the proxy's reply to
 * the caller as if the endpoint had sent it, which the AWS SDK reports as an
 * unknown error.
 */
class TunnelAgent extends HttpsProxyAgent<string> {
    constructor(
        url: URL,
        private readonly choice: ProxyChoice,
    ) {
        super(url);
    }

    override async connect(request: ClientRequest, options: ConnectOptions): Promise<Socket> {
        let reply: { statusCode: number; statusText: string } | undefined;
        request.once('proxyConnect', (connect: { statusCode: number; statusText: string }) => {
            reply = connect;
        });

        const socket = await super.connect(request, options);
        if (reply && reply.statusCode !== 200) {
            socket.destroy();
            const messageKey = this.choice.source === 'agent' ? 'AgentProxyRejected' : 'EnvironmentProxyRejected';
            throw new TaskError(messageKey, this.choice.url, `${options.host}:${options.port}`, reply.statusCode, reply.statusText);
        }
        return socket;
    }
}

/** Builds the connection agent that tunnels through the proxy with CONNECT, for HTTP and HTTPS targets. */
export function createProxyAgent(proxy: ProxyChoice): Agent {
    const url = new URL(proxy.url);
    if (proxy.username) {
        url.username = encodeURIComponent(proxy.username);
        url.password = encodeURIComponent(proxy.password ?? '');
    }
    return new TunnelAgent(url, proxy) as unknown as Agent;
}

/** Builds the AWS SDK request handler for one endpoint, through the proxy when there is one. */
export function createRequestHandler(proxy: ProxyChoice | undefined): NodeHttpHandler {
    if (!proxy) {
        return new NodeHttpHandler({ connectionTimeout: 10_000 });
    }
    const agent = createProxyAgent(proxy);
    return new NodeHttpHandler({ connectionTimeout: 10_000, httpAgent: agent, httpsAgent: agent });
}
