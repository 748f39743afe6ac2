# Not HCL: init must fail with Terraform's own message.

resource "terraform_data" "broken" {
  input = 
}
