import { createRoute, z } from '@hono/zod-openapi';
import type { TenantEnv } from '../env';
import { notFound } from '../errors';
import { AUTHENTICATED_ERRORS, TenantParams, jsonResponse, newRouter } from '../openapi';
import { Card, FilterQuery } from './opportunities';

const BoardQuery = FilterQuery.omit({ pipelineId: true }).extend({
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ description: 'Cards per column in the first page' }),
});

const BoardParams = TenantParams.extend({ pipelineId: z.string().min(1).max(64).openapi({ param: { name: 'pipelineId', in: 'path' } }) });

// A board card: what the card shows and a move needs. The full record: GET /opportunities/{id}.
const BoardCard = Card.pick({
  id: true, title: true, stageId: true, status: true, amount: true, accountName: true, ownerId: true, ownerName: true, expectedCloseDate: true,
  probability: true, effectiveProbability: true, position: true, version: true, stageEnteredAt: true, lastActivityAt: true, nextActivityAt: true,
}).openapi('BoardCard');

const StageSchema = z.object({
  id: z.string(), name: z.string(), position: z.number().int(), probability: z.number().int(), kind: z.enum(['open', 'won', 'lost']),
  staleAfterDays: z.number().int().nullable(), requiredFields: z.array(z.string()),
});

export const boardRoutes = newRouter<TenantEnv>().openapi(
  createRoute({
    method: 'get',
    path: '/{pipelineId}/board',
    tags: ['pipelines'],
    summary: 'A pipeline board: per-stage count, amount and weighted amount over all matches, and each column’s first cards',
    description: 'Load more cards of a column with GET /opportunities?pipelineId&stageId&sort=position&direction=asc&cursor=<nextCursor>.',
    request: { params: BoardParams, query: BoardQuery },
    responses: {
      200: jsonResponse(
        z.object({
          pipeline: z.object({ id: z.string(), name: z.string() }),
          columns: z.array(
            z.object({
              stage: StageSchema,
              count: z.number().int(),
              amount: z.number().int(),
              weightedAmount: z.number().int(),
              opportunities: z.array(BoardCard),
              nextCursor: z.string().nullable(),
            }),
          ),
        }).openapi('Board'),
        'The board',
      ),
      ...AUTHENTICATED_ERRORS,
    },
  }),
  async (c) => {
    const { pipelineId } = c.req.valid('param');
    const { limit, ...filter } = c.req.valid('query');
    if (filter.ownerId === 'me') filter.ownerId = c.get('user').id;
    const board = await c.get('repos').opportunities.board(pipelineId, filter, limit);
    if (!board) throw notFound();
    return c.json(board, 200);
  },
);
