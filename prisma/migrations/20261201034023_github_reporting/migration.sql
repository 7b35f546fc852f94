-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN     "githubDeploymentId" BIGINT,
ADD COLUMN     "sourceUrl" TEXT;
