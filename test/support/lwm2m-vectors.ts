/** Shared LwM2M test vectors from the TS examples. */
import type { Lwm2mRecord } from '../../gateways/lwm2m/values.js';

/** The Device object instance of the LwM2M example client, as every TS example reads it (GET /3/0). */
export const TS_DEVICE_RECORDS: readonly Lwm2mRecord[] = [
  { path: '/3/0/0', value: 'Open Mobile Alliance' },
  { path: '/3/0/1', value: 'Lightweight M2M Client' },
  { path: '/3/0/2', value: '345000123' },
  { path: '/3/0/3', value: '1.0' },
  { path: '/3/0/6/0', value: 1 },
  { path: '/3/0/6/1', value: 5 },
  { path: '/3/0/7/0', value: 3800 },
  { path: '/3/0/7/1', value: 5000 },
  { path: '/3/0/8/0', value: 125 },
  { path: '/3/0/8/1', value: 900 },
  { path: '/3/0/9', value: 100 },
  { path: '/3/0/10', value: 15 },
  { path: '/3/0/11/0', value: 0 },
  { path: '/3/0/13', value: 1367491215 },
  { path: '/3/0/14', value: '+02:00' },
  { path: '/3/0/16', value: 'U' },
];
