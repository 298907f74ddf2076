import { b2bGeneralTemplate } from './b2b-general';
import { blankTemplate } from './blank';
import { consultingTemplate } from './consulting';
import { educationTemplate } from './education';
import { manufacturingTemplate } from './manufacturing';
import { realEstateTemplate } from './real-estate';
import { renovationTemplate } from './renovation';
import { saasTemplate } from './saas';
import type { Template } from './types';

export * from './types';

/** Every industry template in gallery order, with the blank template last. */
export const TEMPLATES: readonly Template[] = [
  b2bGeneralTemplate,
  saasTemplate,
  consultingTemplate,
  realEstateTemplate,
  educationTemplate,
  manufacturingTemplate,
  renovationTemplate,
  blankTemplate,
];

export function findTemplate(id: string): Template | undefined {
  return TEMPLATES.find((template) => template.id === id);
}
