-- AlterTable
ALTER TABLE "Project" ADD COLUMN     "previousWebhookSecret" TEXT,
ADD COLUMN     "previousWebhookSecretUntil" TIMESTAMP(3);
