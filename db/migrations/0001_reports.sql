CREATE TABLE `stats_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`from_date` text NOT NULL,
	`to_date` text NOT NULL,
	`total` integer NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `stats_jobs_tenant_idx` ON `stats_jobs` (`tenant_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `tenants` ADD `sales_target_monthly` integer;--> statement-breakpoint
ALTER TABLE `tenants` ADD `sales_target_quarterly` integer;