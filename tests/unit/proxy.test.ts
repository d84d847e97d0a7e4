import { chooseProxy, isBypassed } from '../../src/proxy';

const noAgentProxy = () => null;

describe('isBypassed', () => {
    it.each([
        ['https://api.ecr.us-east-1.amazonaws.com', 'amazonaws.com', true],
        ['https://api.ecr.us-east-1.amazonaws.com', '.amazonaws.com', true],
        ['https://api.ecr.us-east-1.amazonaws.com', '*.amazonaws.com', true],
        ['https://api.ecr.us-east-1.amazonaws.com', 'example.com, localhost', false],
        ['http://127.0.0.1:4566', '127.0.0.1', true],
        ['http://127.0.0.1:4566', '127.0.0.1:4566', true],
        ['http://127.0.0.1:4566', '127.0.0.1:9999', false],
        ['https://notamazonaws.com', 'amazonaws.com', false],
        ['https://anything.example', '*', true],
        ['https://anything.example', '', false],
    ])('%s with NO_PROXY=%j is %s', (url, noProxy, expected) => {
        expect(isBypassed(new URL(url), noProxy)).toBe(expected);
    });
});

describe('chooseProxy', () => {
    it('prefers the agent proxy and keeps its credentials out of the URL', () => {
        const choice = chooseProxy(
            'https://api.ecr.us-east-1.amazonaws.com',
            () => ({ proxyUrl: 'http://proxy.corp:8080', proxyUsername: 'user', proxyPassword: 'pa:ss' }),
            { HTTPS_PROXY: 'http://other:3128' },
        );
        expect(choice).toEqual({ url: 'http://proxy.corp:8080', username: 'user', password: 'pa:ss', source: 'agent' });
    });

    it('uses HTTPS_PROXY for https endpoints', () => {
        const choice = chooseProxy('https://sts.eu-west-1.amazonaws.com', noAgentProxy, {
            HTTPS_PROXY: 'http://u%40corp:p%3Ass@proxy.corp:3128',
        });
        expect(choice).toEqual({ url: 'http://proxy.corp:3128', username: 'u@corp', password: 'p:ss', source: 'environment' });
    });

    it('uses HTTP_PROXY only for http endpoints', () => {
        expect(chooseProxy('http://127.0.0.1:4566', noAgentProxy, { HTTPS_PROXY: 'http://p:1' })).toBeUndefined();
        expect(chooseProxy('http://127.0.0.1:4566', noAgentProxy, { HTTP_PROXY: 'http://p:1' })?.url).toBe('http://p:1');
    });

    it('honours NO_PROXY', () => {
        expect(
            chooseProxy('https://api.ecr.us-east-1.amazonaws.com', noAgentProxy, {
                HTTPS_PROXY: 'http://p:1',
                NO_PROXY: '.amazonaws.com',
            }),
        ).toBeUndefined();
    });

    it('returns nothing without any proxy', () => {
        expect(chooseProxy('https://api.ecr.us-east-1.amazonaws.com', noAgentProxy, {})).toBeUndefined();
    });
});
