-- CreateTable
CREATE TABLE "WorkspacePullRobot" (
    "workspaceId" TEXT NOT NULL,
    "robotName" TEXT NOT NULL,
    "robotId" INTEGER,
    "secret" TEXT,
    "secretKeyId" TEXT,
    "secretSetAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WorkspacePullRobot_pkey" PRIMARY KEY ("workspaceId")
);

-- AddForeignKey
ALTER TABLE "WorkspacePullRobot" ADD CONSTRAINT "WorkspacePullRobot_workspaceId_fkey" FOREIGN KEY ("workspaceId") REFERENCES "Workspace"("id") ON DELETE CASCADE ON UPDATE CASCADE;
