import * as http from 'node:http';
import * as https from 'node:https';

export interface HttpRequestOptions {
    readonly method: string;
    readonly headers?: Record<string, string>;
    readonly body?: string;
    readonly timeoutMs: number;
    /** Connection agent, for example a proxy agent. */
    readonly agent?: http.Agent;
}

export interface HttpResponse {
    readonly status: number;
    readonly body: string;
}

/** Sends one HTTP(S) request and returns the status and the whole body as text. */
export function httpRequest(url: string, options: HttpRequestOptions): Promise<HttpResponse> {
    const transport = new URL(url).protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
        const request = transport.request(
            url,
            { method: options.method, headers: options.headers, timeout: options.timeoutMs, agent: options.agent },
            (response) => {
                const chunks: Buffer[] = [];
                response.on('data', (chunk: Buffer) => chunks.push(chunk));
                response.on('end', () =>
                    resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
                );
                response.on('error', reject);
            },
        );
        request.on('timeout', () => request.destroy(new Error(`timed out after ${options.timeoutMs} ms`)));
        request.on('error', reject);
        request.end(options.body);
    });
}
