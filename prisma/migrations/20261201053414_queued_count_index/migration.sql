-- CreateIndex
CREATE INDEX "Deployment_workspaceId_status_idx" ON "Deployment"("workspaceId", "status");
