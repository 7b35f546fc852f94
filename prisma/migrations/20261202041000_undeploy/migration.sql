-- CreateEnum
CREATE TYPE "UndeployStatus" AS ENUM ('running', 'succeeded', 'failed');

-- DropIndex
DROP INDEX "Project_workspaceId_userId_name_key";

-- AlterTable
ALTER TABLE "Project" ADD COLUMN     "namesClaimed" BOOLEAN DEFAULT true,
ADD COLUMN     "undeployCommitSha" TEXT,
ADD COLUMN     "undeployErrorMessage" TEXT,
ADD COLUMN     "undeployErrorType" TEXT,
ADD COLUMN     "undeployRequestedAt" TIMESTAMP(3),
ADD COLUMN     "undeployRequestedBy" TEXT,
ADD COLUMN     "undeployStatus" "UndeployStatus",
ADD COLUMN     "undeployStep" TEXT,
ADD COLUMN     "undeployedAt" TIMESTAMP(3);

-- CreateIndex
CREATE UNIQUE INDEX "Project_workspaceId_userId_name_namesClaimed_key" ON "Project"("workspaceId", "userId", "name", "namesClaimed");
