import { describe, expect, it } from 'vitest';
import { routeLabel } from '../src/http-observe.js';

describe('route labels', () => {
  it('maps paths to a bounded set of templates', () => {
    const sid = `CA${'f'.repeat(32)}`;
    expect(routeLabel('/twilio/voice')).toBe('/twilio/voice');
    expect(routeLabel('/twilio/status/')).toBe('/twilio/status');
    expect(routeLabel('/api/calls')).toBe('/api/calls');
    expect(routeLabel(`/api/calls/${sid}`)).toBe('/api/calls/:callSid');
    expect(routeLabel(`/api/calls/${sid}/transcript`)).toBe('/api/calls/:callSid/transcript');
    expect(routeLabel(`/api/calls/${sid}/hangup`)).toBe('/api/calls/:callSid/hangup');
    expect(routeLabel(`/api/calls/${sid}/say`)).toBe('/api/calls/:callSid/say');
    expect(routeLabel('/twilio/stream-ended')).toBe('/twilio/stream-ended');
    expect(routeLabel('/twilio/recording')).toBe('/twilio/recording');
    expect(routeLabel('/twilio/amd')).toBe('/twilio/amd');
    expect(routeLabel(`/api/calls/${sid}/recording`)).toBe('/api/calls/:callSid/recording');
    expect(routeLabel('/twilio/dial-result')).toBe('/twilio/dial-result');
    expect(routeLabel('/api/agents')).toBe('/api/agents');
    expect(routeLabel('/api/agents/sales_1')).toBe('/api/agents/:id');
    expect(routeLabel('/api/agents/a%20b')).toBe('other');
    expect(routeLabel('/api/agents/a/b')).toBe('other');
    expect(routeLabel('/readyz')).toBe('/readyz');
    expect(routeLabel('/api/events')).toBe('/api/events');
    expect(routeLabel('/api/system')).toBe('/api/system');
    expect(routeLabel('/api/calls/activity')).toBe('/api/calls/activity');
    expect(routeLabel('/console/calls/anything')).toBe('/console');
    expect(routeLabel('/api/calls/whatever')).toBe('other');
    expect(routeLabel('/wp-admin/index.php')).toBe('other');
    expect(routeLabel('/')).toBe('other');
  });
});
