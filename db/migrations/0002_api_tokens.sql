CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`secret_hash` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`last_used_at` integer,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE INDEX `api_tokens_tenant_idx` ON `api_tokens` (`tenant_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `audit_log` ADD `actor_token_id` text;--> statement-breakpoint
CREATE INDEX `opportunities_created_idx` ON `opportunities` (`tenant_id`,`created_at`,`id`);