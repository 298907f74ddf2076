import type { TenantEnv } from '../env';
import { newRouter } from '../openapi';

export const contactRoutes = newRouter<TenantEnv>();
