-- AlterTable
ALTER TABLE "Deployment" ADD COLUMN     "causeDeploymentId" TEXT;

-- AddForeignKey
ALTER TABLE "Deployment" ADD CONSTRAINT "Deployment_causeDeploymentId_fkey" FOREIGN KEY ("causeDeploymentId") REFERENCES "Deployment"("id") ON DELETE SET NULL ON UPDATE CASCADE;
