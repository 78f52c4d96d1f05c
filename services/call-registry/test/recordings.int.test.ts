import { EventPublisher } from '@switchboard/bus';
import type { CallEvent } from '@switchboard/contracts';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerPending, eventually, log, newCallSid, type RegistryStack, startStack } from './support.js';

// Issue 11: recording status callbacks and answering machine detection, as events the registry applies —
// each recording kept in call_recordings, the call's completed one on the Call, a deletion taking it off.

const at = (seconds: number) => new Date(Date.UTC(2026, 11, 22, 9, 0, seconds)).toISOString();
const recordingSid = () => `RE${newCallSid().slice(2)}`;

describe('recordings and answeredBy', () => {
  let stack: RegistryStack;
  let publisher: EventPublisher;
  let db: pg.Client;
  beforeAll(async () => {
    stack = await startStack();
    publisher = new EventPublisher(stack.nc, log);
    db = new pg.Client({ connectionString: stack.db.url });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await stack?.close();
  });

  const publish = (event: CallEvent, msgId: string) => publisher.publish(event, { msgId });
  const newCall = async () =>
    (
      await stack.client.callCreate({
        callSid: newCallSid(),
        direction: 'outbound',
        from: '+15550001111',
        to: '+15557770000',
      })
    ).callSid;
  const settled = () =>
    eventually(
      () => consumerPending(stack),
      (n) => n === 0,
    );

  it('a new call has neither', async () => {
    const call = await stack.client.callBySid({ callSid: await newCall() });
    expect(call).toMatchObject({ recording: null, answeredBy: null });
  });

  it('stores every callback and puts the completed recording on the call; a late in-progress changes nothing', async () => {
    const callSid = await newCall();
    const sid = recordingSid();
    const url = `https://api.twilio.com/2010-04-01/Accounts/AC${'1'.repeat(32)}/Recordings/${sid}`;
    await publish(
      { kind: 'recording', callSid, at: at(5), recordingSid: sid, status: 'in-progress', channels: 2, url },
      `${sid}:in-progress`,
    );
    await settled();
    // In progress: not the call's recording yet (there is no audio to fetch).
    expect((await stack.client.callBySid({ callSid })).recording).toBeNull();
    await publish(
      {
        kind: 'recording',
        callSid,
        at: at(70),
        recordingSid: sid,
        status: 'completed',
        durationSeconds: 64,
        channels: 2,
        url,
        startedAt: at(5),
        source: 'StartCallRecordingAPI',
      },
      `${sid}:completed`,
    );
    await publish(
      { kind: 'recording', callSid, at: at(6), recordingSid: sid, status: 'in-progress' },
      `${sid}:in-progress-late`,
    );
    await settled();
    const call = await stack.client.callBySid({ callSid });
    expect(call.recording).toEqual({ sid, durationSeconds: 64, channels: 2 });
    const { rows } = await db.query(
      'SELECT call_sid, status, duration_seconds, channels, url, source, started_at FROM call_recordings WHERE recording_sid = $1',
      [sid],
    );
    expect(rows).toEqual([
      {
        call_sid: callSid,
        status: 'completed',
        duration_seconds: 64,
        channels: 2,
        url,
        source: 'StartCallRecordingAPI',
        started_at: new Date(at(5)),
      },
    ]);
    // The list (another path) says the same.
    const listed = await stack.client.callList({ limit: 200 });
    expect(listed.calls.find((c) => c.callSid === callSid)?.recording).toEqual(call.recording);
  });

  it('a deletion takes the recording off the call for good; a redelivered completed callback does not bring it back', async () => {
    const callSid = await newCall();
    const sid = recordingSid();
    const completed: CallEvent = {
      kind: 'recording',
      callSid,
      at: at(70),
      recordingSid: sid,
      status: 'completed',
      durationSeconds: 3,
      channels: 2,
    };
    await publish(completed, `${sid}:completed`);
    await eventually(
      () => stack.client.callBySid({ callSid }),
      (c) => c.recording !== null,
    );
    await publish(
      { kind: 'recording', callSid, at: at(80), recordingSid: sid, status: 'deleted' },
      `${sid}:deleted`,
    );
    await eventually(
      () => stack.client.callBySid({ callSid }),
      (c) => c.recording === null,
    );
    await publish(completed, `${sid}:completed-again`);
    await settled();
    expect((await stack.client.callBySid({ callSid })).recording).toBeNull();
    const { rows } = await db.query('SELECT deleted_at FROM call_recordings WHERE recording_sid = $1', [sid]);
    expect(rows).toEqual([{ deleted_at: new Date(at(80)) }]);
  });

  it('an absent recording or one that failed to start is kept as an event, never as the call recording', async () => {
    const callSid = await newCall();
    const sid = recordingSid();
    await publish(
      { kind: 'recording', callSid, at: at(9), recordingSid: sid, status: 'absent', errorCode: '16101' },
      `${sid}:absent`,
    );
    await publish(
      { kind: 'recording', callSid, at: at(1), status: 'start-failed', detail: 'Twilio answered 21220' },
      `${callSid}:recording-start-failed`,
    );
    await settled();
    expect((await stack.client.callBySid({ callSid })).recording).toBeNull();
    const { rows } = await db.query(
      `SELECT kind, payload->>'status' AS status FROM call_events WHERE call_sid = $1 ORDER BY 2`,
      [callSid],
    );
    expect(rows).toEqual([
      { kind: 'recording', status: 'absent' },
      { kind: 'recording', status: 'start-failed' },
    ]);
  });

  it("answeredBy: machine detection's word wins; a status callback's fills it only when there is none", async () => {
    const callSid = await newCall();
    await publish(
      { kind: 'status', callSid, at: at(3), status: 'in-progress', answeredBy: 'unknown' },
      `${callSid}:in-progress`,
    );
    await eventually(
      () => stack.client.callBySid({ callSid }),
      (c) => c.answeredBy === 'unknown',
    );
    await publish(
      { kind: 'answered-by', callSid, at: at(6), answeredBy: 'machine_end_beep', detectionMs: 4200 },
      `${callSid}:amd`,
    );
    await publish(
      { kind: 'status', callSid, at: at(40), status: 'completed', answeredBy: 'human' },
      `${callSid}:completed`,
    );
    await settled();
    expect(await stack.client.callBySid({ callSid })).toMatchObject({
      answeredBy: 'machine_end_beep',
      status: 'completed',
    });
  });

  it('call.machineDetection: what an outbound call does on a machine, kept from its create (the first one counts)', async () => {
    const create = {
      callSid: newCallSid(),
      direction: 'outbound' as const,
      from: '+15550001111',
      to: '+15557770000',
    };
    await stack.client.callCreate({
      ...create,
      machineDetection: 'leave-message',
      voicemailMessage: 'Your order is ready.',
    });
    // An idempotent second create (a retry) keeps what the first said.
    await stack.client.callCreate({ ...create, machineDetection: 'hangup' });
    expect(await stack.client.callMachineDetection({ callSid: create.callSid })).toEqual({
      callSid: create.callSid,
      machineDetection: 'leave-message',
      voicemailMessage: 'Your order is ready.',
    });
    const plain = await newCall();
    expect(await stack.client.callMachineDetection({ callSid: plain })).toEqual({
      callSid: plain,
      machineDetection: 'off',
      voicemailMessage: null,
    });
    await expect(stack.client.callMachineDetection({ callSid: newCallSid() })).rejects.toMatchObject({
      code: 'CALL_NOT_FOUND',
    });
    // Not part of the Call.
    expect(Object.keys(await stack.client.callBySid({ callSid: create.callSid }))).not.toContain(
      'voicemailMessage',
    );
  });

  it("applies a recording and an answered-by that came before the call's registration, once it registers", async () => {
    const callSid = newCallSid();
    const sid = recordingSid();
    await publish(
      {
        kind: 'recording',
        callSid,
        at: at(70),
        recordingSid: sid,
        status: 'completed',
        durationSeconds: 12,
        channels: 2,
      },
      `${sid}:early-completed`,
    );
    await publish(
      { kind: 'answered-by', callSid, at: at(6), answeredBy: 'human', detectionMs: 1800 },
      `${callSid}:early-amd`,
    );
    await settled();
    await expect(stack.client.callBySid({ callSid })).rejects.toMatchObject({ code: 'CALL_NOT_FOUND' });
    const created = await stack.client.callCreate({
      callSid,
      direction: 'outbound',
      from: '+15550001111',
      to: '+15557770000',
    });
    const expected = { recording: { sid, durationSeconds: 12, channels: 2 }, answeredBy: 'human' };
    expect(created).toMatchObject(expected);
    expect(await stack.client.callBySid({ callSid })).toMatchObject(expected);
  });
});
