import type { TenantEnv } from '../env';
import { newRouter } from '../openapi';

export const accountRoutes = newRouter<TenantEnv>();
