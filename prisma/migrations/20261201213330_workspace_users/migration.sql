-- AlterTable
ALTER TABLE "Project" ADD COLUMN     "repoCredential" TEXT,
ADD COLUMN     "repoCredentialKeyId" TEXT,
ADD COLUMN     "repoCredentialSetAt" TIMESTAMP(3),
ADD COLUMN     "repoCredentialUsername" TEXT;

-- CreateTable
CREATE TABLE "WorkspaceUser" (
    "workspaceId" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "addedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WorkspaceUser_pkey" PRIMARY KEY ("workspaceId","userId")
);

-- AddForeignKey
ALTER TABLE "WorkspaceUser" ADD CONSTRAINT "WorkspaceUser_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Existing databases: a workspace keeps acting for the users it already has live projects for,
-- so an upgrade breaks no running project; anyone else must be added by the platform.
INSERT INTO "WorkspaceUser" ("workspaceId", "userId")
SELECT DISTINCT "workspaceId", "userId" FROM "Project" WHERE "deletedAt" IS NULL
ON CONFLICT DO NOTHING;
