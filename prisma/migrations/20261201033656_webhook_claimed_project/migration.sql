-- AlterTable
ALTER TABLE "WebhookDelivery" ADD COLUMN     "claimedProjectId" TEXT;

-- CreateIndex
CREATE INDEX "WebhookDelivery_claimedProjectId_receivedAt_idx" ON "WebhookDelivery"("claimedProjectId", "receivedAt" DESC);
