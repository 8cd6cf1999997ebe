"""Azure DevOps Boards as an okr-sync tracker kind (``azure_devops``)."""
