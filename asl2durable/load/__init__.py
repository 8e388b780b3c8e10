"""Reading inputs: ASL files and text, CloudFormation/SAM, Terraform and Serverless Framework
files, their ${Name} placeholders, and recorded execution histories."""
