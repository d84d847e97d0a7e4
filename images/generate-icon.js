#!/usr/bin/env node
// Draws the extension and task icon, images/icon.png: a 128x128 RGBA PNG with
// an upward arrow over a container on a rounded square. The shapes are drawn
// from code so that the icon can be redrawn without an image editor.
// Usage: node images/generate-icon.js
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');

const SIZE = 128;
/** Samples per pixel along each axis: 4 gives 16 samples per pixel, which smooth the edges. */
const SUPERSAMPLING = 4;

const BACKGROUND = [15, 94, 122];
const CONTAINER = [255, 255, 255];
const SLAT = [15, 94, 122];
const ARROW = [245, 166, 35];

function insideRoundedRectangle(x, y, left, top, right, bottom, radius) {
    if (x < left || x > right || y < top || y > bottom) {
        return false;
    }
    const nearestX = Math.min(Math.max(x, left + radius), right - radius);
    const nearestY = Math.min(Math.max(y, top + radius), bottom - radius);
    return (x - nearestX) ** 2 + (y - nearestY) ** 2 <= radius ** 2;
}

function insideArrow(x, y) {
    const shaft = x >= 56 && x <= 72 && y >= 42 && y <= 66;
    const headTop = 14;
    const headBottom = 44;
    const halfWidth = ((y - headTop) / (headBottom - headTop)) * 26;
    const head = y >= headTop && y <= headBottom && Math.abs(x - 64) <= halfWidth;
    return shaft || head;
}

function insideSlat(x, y) {
    const slatCenters = [40, 52, 64, 76, 88];
    return y >= 78 && y <= 100 && slatCenters.some((center) => Math.abs(x - center) <= 1.5);
}

/** Returns the color at a point of the icon, or undefined where it is transparent. */
function colorAt(x, y) {
    if (!insideRoundedRectangle(x, y, 0, 0, SIZE, SIZE, 22)) {
        return undefined;
    }
    if (insideArrow(x, y)) {
        return ARROW;
    }
    if (insideRoundedRectangle(x, y, 26, 72, 102, 106, 4)) {
        return insideSlat(x, y) ? SLAT : CONTAINER;
    }
    return BACKGROUND;
}

/** Renders the icon into RGBA bytes, averaging the samples of each pixel. */
function renderPixels() {
    const pixels = Buffer.alloc(SIZE * SIZE * 4);
    const samples = SUPERSAMPLING * SUPERSAMPLING;

    for (let row = 0; row < SIZE; row++) {
        for (let column = 0; column < SIZE; column++) {
            const sum = [0, 0, 0, 0];
            for (let sy = 0; sy < SUPERSAMPLING; sy++) {
                for (let sx = 0; sx < SUPERSAMPLING; sx++) {
                    const color = colorAt(column + (sx + 0.5) / SUPERSAMPLING, row + (sy + 0.5) / SUPERSAMPLING);
                    if (color) {
                        sum[0] += color[0];
                        sum[1] += color[1];
                        sum[2] += color[2];
                        sum[3] += 255;
                    }
                }
            }

            // Color channels are averaged over the covered samples only, so edges fade out instead of darkening.
            const covered = sum[3] / 255;
            const offset = (row * SIZE + column) * 4;
            for (let channel = 0; channel < 3; channel++) {
                pixels[offset + channel] = covered ? Math.round(sum[channel] / covered) : 0;
            }
            pixels[offset + 3] = Math.round(sum[3] / samples);
        }
    }
    return pixels;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, index) => {
    let value = index;
    for (let bit = 0; bit < 8; bit++) {
        value = value & 1 ? 0xedb88320 ^ (value >>> 1) : value >>> 1;
    }
    return value >>> 0;
});

function crc32(bytes) {
    let crc = 0xffffffff;
    for (const byte of bytes) {
        crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
    }
    return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const checksum = Buffer.alloc(4);
    checksum.writeUInt32BE(crc32(typeAndData));
    return Buffer.concat([length, typeAndData, checksum]);
}

/** Encodes RGBA pixels as a PNG: 8 bits per channel, no interlacing, filter type 0 on every row. */
function encodePng(pixels) {
    const header = Buffer.alloc(13);
    header.writeUInt32BE(SIZE, 0);
    header.writeUInt32BE(SIZE, 4);
    header[8] = 8; // bit depth
    header[9] = 6; // color type: RGBA
    header[10] = 0; // compression: deflate
    header[11] = 0; // filter method
    header[12] = 0; // interlace: none

    const rowLength = SIZE * 4;
    const scanlines = Buffer.alloc(SIZE * (rowLength + 1));
    for (let row = 0; row < SIZE; row++) {
        pixels.copy(scanlines, row * (rowLength + 1) + 1, row * rowLength, (row + 1) * rowLength);
    }

    return Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        chunk('IHDR', header),
        chunk('IDAT', zlib.deflateSync(scanlines, { level: 9 })),
        chunk('IEND', Buffer.alloc(0)),
    ]);
}

const outputFile = path.join(__dirname, 'icon.png');
fs.writeFileSync(outputFile, encodePng(renderPixels()));
console.log(`Wrote ${path.relative(process.cwd(), outputFile)}`);
