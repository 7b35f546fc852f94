-- CreateEnum
CREATE TYPE "TokenRole" AS ENUM ('viewer', 'deployer', 'admin');

-- CreateEnum
CREATE TYPE "DeploymentKind" AS ENUM ('deploy', 'rollback');

-- CreateEnum
CREATE TYPE "DeploymentTrigger" AS ENUM ('manual', 'webhook', 'rollback', 'auto-rollback', 'retry');

-- CreateEnum
CREATE TYPE "DeploymentStatus" AS ENUM ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'superseded');

-- CreateEnum
CREATE TYPE "StepStatus" AS ENUM ('pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled');

-- CreateTable
CREATE TABLE "Workspace" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Workspace_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" TEXT NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" "TokenRole" NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3),
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Project" (
    "id" TEXT NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "repoUrl" TEXT NOT NULL,
    "repoKey" TEXT NOT NULL,
    "branch" TEXT NOT NULL,
    "appPort" INTEGER NOT NULL,
    "customDomain" TEXT,
    "autoDeploy" BOOLEAN NOT NULL DEFAULT true,
    "autoDeployPausedAt" TIMESTAMP(3),
    "autoDeployPauseReason" TEXT,
    "webhookSecret" TEXT,
    "githubHookId" BIGINT,
    "liveDeploymentId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "deletedAt" TIMESTAMP(3),

    CONSTRAINT "Project_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Deployment" (
    "id" TEXT NOT NULL,
    "projectId" TEXT NOT NULL,
    "workspaceId" TEXT NOT NULL,
    "kind" "DeploymentKind" NOT NULL DEFAULT 'deploy',
    "trigger" "DeploymentTrigger" NOT NULL DEFAULT 'manual',
    "status" "DeploymentStatus" NOT NULL DEFAULT 'queued',
    "branch" TEXT,
    "commitSha" TEXT,
    "framework" TEXT,
    "imageRepository" TEXT,
    "imageTag" TEXT,
    "imageDigest" TEXT,
    "jenkinsBuildNumber" INTEGER,
    "jenkinsQueueId" INTEGER,
    "gitopsCommitSha" TEXT,
    "liveUrl" TEXT,
    "errorStep" TEXT,
    "errorType" TEXT,
    "errorMessage" TEXT,
    "requestedBy" TEXT,
    "workflowId" TEXT,
    "targetDeploymentId" TEXT,
    "queuedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "liveAt" TIMESTAMP(3),
    "replacedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Deployment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DeploymentStep" (
    "id" TEXT NOT NULL,
    "deploymentId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "position" INTEGER NOT NULL,
    "status" "StepStatus" NOT NULL DEFAULT 'pending',
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "detail" TEXT,

    CONSTRAINT "DeploymentStep_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "BuildLogChunk" (
    "deploymentId" TEXT NOT NULL,
    "offset" BIGINT NOT NULL,
    "length" INTEGER NOT NULL,
    "rawEnd" BIGINT NOT NULL,
    "text" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "BuildLogChunk_pkey" PRIMARY KEY ("deploymentId","offset")
);

-- CreateTable
CREATE TABLE "WebhookDelivery" (
    "id" TEXT NOT NULL,
    "deliveryId" TEXT,
    "event" TEXT,
    "projectId" TEXT,
    "repository" TEXT,
    "ref" TEXT,
    "afterSha" TEXT,
    "signatureOk" BOOLEAN NOT NULL,
    "outcome" TEXT NOT NULL,
    "reason" TEXT,
    "deploymentId" TEXT,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WebhookDelivery_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");

-- CreateIndex
CREATE INDEX "ApiToken_workspaceId_idx" ON "ApiToken"("workspaceId");

-- CreateIndex
CREATE UNIQUE INDEX "Project_liveDeploymentId_key" ON "Project"("liveDeploymentId");

-- CreateIndex
CREATE INDEX "Project_repoKey_idx" ON "Project"("repoKey");

-- CreateIndex
CREATE UNIQUE INDEX "Project_workspaceId_userId_name_key" ON "Project"("workspaceId", "userId", "name");

-- CreateIndex
CREATE INDEX "Deployment_projectId_createdAt_idx" ON "Deployment"("projectId", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "Deployment_workspaceId_createdAt_idx" ON "Deployment"("workspaceId", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "Deployment_projectId_liveAt_idx" ON "Deployment"("projectId", "liveAt" DESC);

-- CreateIndex
CREATE INDEX "Deployment_projectId_commitSha_idx" ON "Deployment"("projectId", "commitSha");

-- CreateIndex
CREATE INDEX "Deployment_status_idx" ON "Deployment"("status");

-- CreateIndex
CREATE UNIQUE INDEX "DeploymentStep_deploymentId_name_key" ON "DeploymentStep"("deploymentId", "name");

-- CreateIndex
CREATE INDEX "WebhookDelivery_projectId_receivedAt_idx" ON "WebhookDelivery"("projectId", "receivedAt" DESC);

-- CreateIndex
CREATE INDEX "WebhookDelivery_deliveryId_idx" ON "WebhookDelivery"("deliveryId");

-- CreateIndex
CREATE INDEX "WebhookDelivery_repository_ref_afterSha_idx" ON "WebhookDelivery"("repository", "ref", "afterSha");

-- CreateIndex
CREATE UNIQUE INDEX "WebhookDelivery_deliveryId_projectId_key" ON "WebhookDelivery"("deliveryId", "projectId");

-- AddForeignKey
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Project" ADD CONSTRAINT "Project_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Project" ADD CONSTRAINT "Project_liveDeploymentId_fkey" FOREIGN KEY ("liveDeploymentId") REFERENCES "Deployment"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Deployment" ADD CONSTRAINT "Deployment_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Deployment" ADD CONSTRAINT "Deployment_targetDeploymentId_fkey" FOREIGN KEY ("targetDeploymentId") REFERENCES "Deployment"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DeploymentStep" ADD CONSTRAINT "DeploymentStep_deploymentId_fkey" FOREIGN KEY ("deploymentId") REFERENCES "Deployment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "BuildLogChunk" ADD CONSTRAINT "BuildLogChunk_deploymentId_fkey" FOREIGN KEY ("deploymentId") REFERENCES "Deployment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WebhookDelivery" ADD CONSTRAINT "WebhookDelivery_projectId_fkey" FOREIGN KEY ("projectId") REFERENCES "Project"("id") ON DELETE SET NULL ON UPDATE CASCADE;
