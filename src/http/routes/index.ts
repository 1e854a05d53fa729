/** Every /api/v5 route, in one list (the OpenAPI test checks each against openapi.json). */
import type { ApiDeps } from '../deps.js';
import type { Route } from '../router.js';
import { accessRoutes } from './access.js';
import { bridgeRoutes } from './bridges.js';
import { clientRoutes } from './clients.js';
import { configRoutes } from './config.js';
import { dashboardRoutes } from './dashboard.js';
import { gatewayRoutes } from './gateways.js';
import { lwm2mRoutes } from './lwm2m.js';
import { publishRoutes } from './publish.js';
import { retainedRoutes } from './retained.js';
import { statsRoutes } from './stats.js';
import { subscriptionRoutes } from './subscriptions.js';
import { userRoutes } from './users.js';

export const apiRoutes: Route<ApiDeps>[] = [
  ...statsRoutes,
  ...clientRoutes,
  ...subscriptionRoutes,
  ...retainedRoutes,
  ...publishRoutes,
  ...gatewayRoutes,
  ...lwm2mRoutes,
  ...bridgeRoutes,
  ...userRoutes,
  ...configRoutes,
  ...accessRoutes,
  ...dashboardRoutes,
  // POST /api/v5/reload lives in config.ts and calls HubView.reload (Hub.reload)
];
