import { describe, expect, it } from 'vitest';
import { BuildLog, normalizeLineEnds } from './log.js';

describe('BuildLog progressive text', () => {
  it('serves only complete lines while running, everything once complete', () => {
    const log = new BuildLog();
    log.write('first line\nsecond, incompl');
    const running = log.progressive(0);
    expect(running.body.toString()).toBe('first line\r\n');
    expect(running.textSize).toBe(Buffer.byteLength('first line\n'));
    expect(running.more).toBe(true);
    log.write('ete\n');
    log.markComplete();
    const rest = log.progressive(running.textSize);
    expect(rest.body.toString()).toBe('second, incomplete\r\n');
    expect(rest.textSize).toBe(log.size);
    expect(rest.more).toBe(false);
  });

  it('uses UTF-8 byte offsets', () => {
    const log = new BuildLog();
    log.line('héllo 🚀 wörld');
    log.line('日本');
    log.markComplete();
    const offset = Buffer.byteLength('héllo 🚀 wörld\n');
    expect(log.progressive(offset).body.toString()).toBe('日本\r\n');
    expect(log.size).toBe(Buffer.byteLength('héllo 🚀 wörld\n日本\n'));
  });

  it('restarts from 0 when the offset is past the end ("text rolled over")', () => {
    const log = new BuildLog();
    log.line('abc');
    const chunk = log.progressive(10_000);
    expect(chunk.body.toString()).toBe('abc\r\n');
    expect(chunk.textSize).toBe(4);
  });

  it('normalizes lone LF to CR+LF like Stapler', () => {
    expect(normalizeLineEnds('abc\r\ndef\r\n')).toBe('abc\r\ndef\r\n');
    expect(normalizeLineEnds('abc\ndef\n\n')).toBe('abc\r\ndef\r\n\r\n');
    expect(normalizeLineEnds('\r\n\n')).toBe('\r\n\r\n');
  });

  it('strips console notes for consoleText', () => {
    const log = new BuildLog();
    log.pipeline('node');
    expect(log.bytes().toString()).toContain('\u001b[8mha:');
    expect(log.plainText()).toBe('[Pipeline] node\n');
  });
});

describe('BuildLog secrets', () => {
  it('writes every occurrence of a secret as ****, the longer secret first, in every view of the log', () => {
    const log = new BuildLog(['s3cr3t', 's3cr3t-and-more', '']);
    log.line('+ echo s3cr3t; curl -H "Authorization: s3cr3t-and-more" x');
    log.write('partial s3cr3t');
    log.line(' done');
    log.markComplete();
    const expected = '+ echo ****; curl -H "Authorization: ****" x\npartial **** done\n';
    expect(log.plainText()).toBe(expected);
    expect(log.bytes().toString()).toBe(expected);
    expect(log.progressive(0).body.toString()).toBe(normalizeLineEnds(expected));
    expect(log.size).toBe(Buffer.byteLength(expected));
  });

  it('masks nothing without secrets (an empty password is not a secret)', () => {
    const log = new BuildLog(['']);
    log.line('a line with **** and text');
    expect(log.plainText()).toBe('a line with **** and text\n');
  });
});
